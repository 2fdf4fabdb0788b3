"""Baseline: the schema of the last release before migrations (commit 6c75a7e).

Frozen copies of the tables that release's `lemari init` created with ``create_all``, created
the same way, only where missing. So an empty database gets the very DDL that release ran
(Flask-AppBuilder's id sequences on PostgreSQL included), and a database that release made
keeps its tables and rows and is stamped with this revision. Later changes are later
revisions; never edit this one. It cannot be undone: that would drop every table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables (and indexes, and sequences) the database does not have yet."""
    meta = sa.MetaData(naming_convention={"ix": "ix_%(column_0_label)s"})
    for define in TABLES:
        define(meta)
    meta.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    """Refused: below the baseline there is no schema, only data loss."""
    raise RuntimeError("Revisi dasar tidak dapat diturunkan (semua tabel akan terhapus).")


def _index(meta: sa.MetaData, table: str, name: str, columns: list[str], unique: bool = False) -> None:
    """An index on a table defined above (Index needs the Table's columns, not their names)."""
    sa.Index(name, *(meta.tables[table].c[column] for column in columns), unique=unique)


def _fab_id(sequence: str) -> sa.Column:
    """Flask-AppBuilder's primary key: an explicit sequence on PostgreSQL (plain on SQLite)."""
    return sa.Column("id", sa.Integer(), sa.Sequence(sequence, start=1, increment=1, minvalue=1,
                                                     cycle=False), nullable=False)


def _security_fab(meta: sa.MetaData) -> None:
    """Flask-AppBuilder's users, roles, groups, permissions and API keys (ids from sequences)."""
    sa.Table('ab_group', meta,
        _fab_id('ab_group_id_seq'),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('label', sa.String(length=150), nullable=True),
        sa.Column('description', sa.String(length=512), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name')
    )
    sa.Table('ab_permission', meta,
        _fab_id('ab_permission_id_seq'),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name')
    )
    sa.Table('ab_register_user', meta,
        _fab_id('ab_register_user_id_seq'),
        sa.Column('first_name', sa.String(length=64), nullable=False),
        sa.Column('last_name', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.Column('password', sa.String(length=256), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('registration_date', sa.DateTime(), nullable=True),
        sa.Column('registration_hash', sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username'),
        sa.UniqueConstraint('email')
    )
    sa.Table('ab_role', meta,
        _fab_id('ab_role_id_seq'),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name')
    )
    sa.Table('ab_user', meta,
        _fab_id('ab_user_id_seq'),
        sa.Column('first_name', sa.String(length=64), nullable=False),
        sa.Column('last_name', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.Column('password', sa.String(length=256), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('last_login', sa.DateTime(), nullable=True),
        sa.Column('login_count', sa.Integer(), nullable=True),
        sa.Column('fail_login_count', sa.Integer(), nullable=True),
        sa.Column('created_on', sa.DateTime(), nullable=True),
        sa.Column('changed_on', sa.DateTime(), nullable=True),
        sa.Column('created_by_fk', sa.Integer(), nullable=True),
        sa.Column('changed_by_fk', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username'),
        sa.UniqueConstraint('email'),
        sa.ForeignKeyConstraint(['created_by_fk'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['changed_by_fk'], ['ab_user.id'])
    )
    sa.Table('ab_view_menu', meta,
        _fab_id('ab_view_menu_id_seq'),
        sa.Column('name', sa.String(length=250), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name')
    )
    sa.Table('ab_api_key', meta,
        _fab_id('ab_api_key_id_seq'),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=256), nullable=False),
        sa.Column('key_hash', sa.String(length=256), nullable=False),
        sa.Column('lookup_hash', sa.String(length=256), nullable=True),
        sa.Column('key_prefix', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('scopes', sa.Text(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_on', sa.DateTime(), nullable=True),
        sa.Column('expires_on', sa.DateTime(), nullable=True),
        sa.Column('revoked_on', sa.DateTime(), nullable=True),
        sa.Column('last_used_on', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uuid'),
        sa.UniqueConstraint('lookup_hash'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE')
    )
    _index(meta, 'ab_api_key', 'idx_api_key_lookup_hash', ['lookup_hash'], unique=True)
    _index(meta, 'ab_api_key', 'idx_api_key_prefix', ['key_prefix'])
    _index(meta, 'ab_api_key', 'idx_api_key_user_id', ['user_id'])
    sa.Table('ab_group_role', meta,
        _fab_id('ab_group_role_id_seq'),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('role_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('group_id', 'role_id'),
        sa.ForeignKeyConstraint(['group_id'], ['ab_group.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], ondelete='CASCADE')
    )
    _index(meta, 'ab_group_role', 'idx_group_id', ['group_id'])
    _index(meta, 'ab_group_role', 'idx_group_role_id', ['role_id'])
    sa.Table('ab_permission_view', meta,
        _fab_id('ab_permission_view_id_seq'),
        sa.Column('permission_id', sa.Integer(), nullable=False),
        sa.Column('view_menu_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('permission_id', 'view_menu_id'),
        sa.ForeignKeyConstraint(['permission_id'], ['ab_permission.id']),
        sa.ForeignKeyConstraint(['view_menu_id'], ['ab_view_menu.id'])
    )
    _index(meta, 'ab_permission_view', 'idx_permission_id', ['permission_id'])
    _index(meta, 'ab_permission_view', 'idx_view_menu_id', ['view_menu_id'])
    sa.Table('ab_user_group', meta,
        _fab_id('ab_user_group_id_seq'),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'group_id'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['group_id'], ['ab_group.id'], ondelete='CASCADE')
    )
    _index(meta, 'ab_user_group', 'idx_user_group_id', ['group_id'])
    _index(meta, 'ab_user_group', 'idx_user_id', ['user_id'])
    sa.Table('ab_user_role', meta,
        _fab_id('ab_user_role_id_seq'),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('role_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'role_id'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], ondelete='CASCADE')
    )
    sa.Table('ab_permission_view_role', meta,
        _fab_id('ab_permission_view_role_id_seq'),
        sa.Column('permission_view_id', sa.Integer(), nullable=True),
        sa.Column('role_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('permission_view_id', 'role_id'),
        sa.ForeignKeyConstraint(['permission_view_id'], ['ab_permission_view.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], ondelete='CASCADE')
    )
    _index(meta, 'ab_permission_view_role', 'idx_permission_view_id', ['permission_view_id'])
    _index(meta, 'ab_permission_view_role', 'idx_role_id', ['role_id'])


def _antrian(meta: sa.MetaData) -> None:
    """The front-office queue: counters, service prefixes, tickets and the log of every call."""
    sa.Table('antrian_loket', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('nama', sa.String(length=40), nullable=False),
        sa.Column('layanan', sa.String(length=400), nullable=False),
        sa.Column('aktif', sa.Boolean(), nullable=False),
        sa.Column('versi', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('nama')
    )
    sa.Table('antrian_nomor', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tanggal', sa.Date(), nullable=False),
        sa.Column('prefix', sa.String(length=2), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tanggal', 'prefix')
    )
    sa.Table('antrian_layanan', meta,
        sa.Column('layanan_code', sa.String(length=40), nullable=False),
        sa.Column('prefix', sa.String(length=2), nullable=False),
        sa.Column('aktif', sa.Boolean(), nullable=False),
        sa.Column('urutan', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('layanan_code'),
        sa.ForeignKeyConstraint(['layanan_code'], ['layanan.code']),
        sa.UniqueConstraint('prefix')
    )
    sa.Table('antrian_tiket', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tanggal', sa.Date(), nullable=False),
        sa.Column('layanan_code', sa.String(length=40), nullable=False),
        sa.Column('prefix', sa.String(length=2), nullable=False),
        sa.Column('nomor', sa.Integer(), nullable=False),
        sa.Column('prioritas', sa.Boolean(), nullable=False),
        sa.Column('alasan_prioritas', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('tracking_code', sa.String(length=16), nullable=False),
        sa.Column('sumber', sa.String(length=12), nullable=False),
        sa.Column('dibuat_oleh', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('antri_sejak', sa.DateTime(), nullable=False),
        sa.Column('first_called_at', sa.DateTime(), nullable=True),
        sa.Column('called_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('loket_id', sa.Integer(), nullable=True),
        sa.Column('loket_tujuan_id', sa.Integer(), nullable=True),
        sa.Column('jumlah_panggil', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tanggal', 'prefix', 'nomor'),
        sa.ForeignKeyConstraint(['layanan_code'], ['layanan.code']),
        sa.UniqueConstraint('tracking_code'),
        sa.ForeignKeyConstraint(['loket_id'], ['antrian_loket.id']),
        sa.ForeignKeyConstraint(['loket_tujuan_id'], ['antrian_loket.id']),
        sa.UniqueConstraint('record_id'),
        sa.ForeignKeyConstraint(['record_id'], ['record.id'])
    )
    _index(meta, 'antrian_tiket', 'ix_antrian_tiket_queue', ['tanggal', 'status', 'layanan_code'])
    sa.Table('antrian_panggilan', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tanggal', sa.Date(), nullable=False),
        sa.Column('tiket_id', sa.Integer(), nullable=False),
        sa.Column('loket_id', sa.Integer(), nullable=True),
        sa.Column('jenis', sa.String(length=12), nullable=False),
        sa.Column('jalur', sa.String(length=12), nullable=False),
        sa.Column('umum_menunggu', sa.Boolean(), nullable=False),
        sa.Column('petugas', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['tiket_id'], ['antrian_tiket.id']),
        sa.ForeignKeyConstraint(['loket_id'], ['antrian_loket.id'])
    )
    _index(meta, 'antrian_panggilan', 'ix_antrian_panggilan_loket', ['loket_id', 'id'])
    _index(meta, 'antrian_panggilan', 'ix_antrian_panggilan_tanggal', ['tanggal'])
    _index(meta, 'antrian_panggilan', 'ix_antrian_panggilan_tiket_id', ['tiket_id'])


def _arsip(meta: sa.MetaData) -> None:
    """The archive: classification schemes, JRA, archival metadata, versions, OCR, disposal, fixity."""
    sa.Table('arsip_fixity', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mulai', sa.DateTime(), nullable=False),
        sa.Column('selesai', sa.DateTime(), nullable=False),
        sa.Column('oleh', sa.String(length=64), nullable=False),
        sa.Column('ok', sa.Integer(), nullable=False),
        sa.Column('bytes_checked', sa.BigInteger(), nullable=False),
        sa.Column('mb_per_detik', sa.Float(), nullable=False),
        sa.Column('missing', sa.JSON(), nullable=False),
        sa.Column('altered', sa.JSON(), nullable=False),
        sa.Column('orphans', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    sa.Table('arsip_skema', meta,
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('dasar_hukum', sa.Text(), nullable=False),
        sa.Column('sumber', sa.Text(), nullable=False),
        sa.Column('berlaku_mulai', sa.Date(), nullable=True),
        sa.Column('dicabut_oleh', sa.String(length=200), nullable=False),
        sa.Column('read_only', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('code')
    )
    sa.Table('arsip_jra', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('skema_code', sa.String(length=40), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('series', sa.String(length=64), nullable=False),
        sa.Column('jenis_arsip', sa.String(length=300), nullable=False),
        sa.Column('aktif_tahun', sa.Integer(), nullable=True),
        sa.Column('aktif_keterangan', sa.String(length=120), nullable=False),
        sa.Column('inaktif_tahun', sa.Integer(), nullable=False),
        sa.Column('keterangan', sa.String(length=20), nullable=False),
        sa.Column('dasar', sa.Text(), nullable=False),
        sa.Column('changed_by', sa.String(length=64), nullable=False),
        sa.Column('changed_on', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['skema_code'], ['arsip_skema.code'])
    )
    _index(meta, 'arsip_jra', 'ix_arsip_jra_skema_code', ['skema_code'])
    sa.Table('arsip_klasifikasi', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('skema_code', sa.String(length=40), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('maps_to', sa.String(length=40), nullable=False),
        sa.Column('sumber', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('skema_code', 'code'),
        sa.ForeignKeyConstraint(['skema_code'], ['arsip_skema.code'])
    )
    _index(meta, 'arsip_klasifikasi', 'ix_arsip_klasifikasi_skema_code', ['skema_code'])
    sa.Table('arsip', meta,
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('sumber', sa.String(length=16), nullable=False),
        sa.Column('jenis_dokumen', sa.String(length=64), nullable=False),
        sa.Column('seri', sa.String(length=64), nullable=False),
        sa.Column('skema_code', sa.String(length=40), nullable=False),
        sa.Column('klasifikasi', sa.String(length=40), nullable=False),
        sa.Column('tanggal_dokumen', sa.Date(), nullable=True),
        sa.Column('niks', sa.JSON(), nullable=False),
        sa.Column('no_kk', sa.JSON(), nullable=False),
        sa.Column('lemari', sa.String(length=40), nullable=False),
        sa.Column('rak', sa.String(length=40), nullable=False),
        sa.Column('boks', sa.String(length=40), nullable=False),
        sa.Column('map', sa.String(length=40), nullable=False),
        sa.Column('catatan', sa.Text(), nullable=False),
        sa.Column('jra_id', sa.Integer(), nullable=True),
        sa.Column('ditutup_pada', sa.Date(), nullable=True),
        sa.Column('inaktif_mulai', sa.Date(), nullable=True),
        sa.Column('retensi_sampai', sa.Date(), nullable=True),
        sa.Column('retensi_tahun', sa.Integer(), nullable=True),
        sa.Column('nasib_akhir', sa.String(length=20), nullable=False),
        sa.Column('nasib_ditetapkan', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('legal_hold', sa.Boolean(), nullable=False),
        sa.Column('legal_hold_alasan', sa.Text(), nullable=False),
        sa.Column('ocr_status', sa.String(length=16), nullable=False),
        sa.Column('teks', sa.Text(), nullable=False),
        sa.Column('halaman', sa.Integer(), nullable=False),
        sa.Column('versi', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('record_id'),
        sa.ForeignKeyConstraint(['record_id'], ['record.id']),
        sa.ForeignKeyConstraint(['skema_code'], ['arsip_skema.code']),
        sa.ForeignKeyConstraint(['jra_id'], ['arsip_jra.id'])
    )
    _index(meta, 'arsip', 'ix_arsip_inaktif_mulai', ['inaktif_mulai'])
    _index(meta, 'arsip', 'ix_arsip_klasifikasi', ['klasifikasi'])
    _index(meta, 'arsip', 'ix_arsip_retensi_sampai', ['retensi_sampai'])
    _index(meta, 'arsip', 'ix_arsip_status', ['status'])
    sa.Table('arsip_penyusutan', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('catatan', sa.Text(), nullable=False),
        sa.Column('metode', sa.String(length=120), nullable=False),
        sa.Column('tempat', sa.String(length=200), nullable=False),
        sa.Column('persetujuan_anri', sa.String(length=200), nullable=False),
        sa.Column('persetujuan_kepala_daerah', sa.String(length=200), nullable=False),
        sa.Column('diusulkan_oleh', sa.String(length=64), nullable=False),
        sa.Column('diusulkan_pada', sa.DateTime(), nullable=False),
        sa.Column('diputus_oleh', sa.String(length=64), nullable=False),
        sa.Column('diputus_pada', sa.DateTime(), nullable=True),
        sa.Column('alasan_tolak', sa.Text(), nullable=False),
        sa.Column('berita_acara_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['berita_acara_id'], ['record.id'])
    )
    _index(meta, 'arsip_penyusutan', 'ix_arsip_penyusutan_status', ['status'])
    sa.Table('arsip_tugas', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('versi', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('halaman', sa.Integer(), nullable=False),
        sa.Column('percobaan', sa.Integer(), nullable=False),
        sa.Column('pesan', sa.Text(), nullable=False),
        sa.Column('dibuat_pada', sa.DateTime(), nullable=False),
        sa.Column('mulai', sa.DateTime(), nullable=True),
        sa.Column('selesai', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['record_id'], ['record.id'])
    )
    _index(meta, 'arsip_tugas', 'ix_arsip_tugas_record_id', ['record_id'])
    _index(meta, 'arsip_tugas', 'ix_arsip_tugas_status', ['status'])
    sa.Table('arsip_penyusutan_item', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('penyusutan_id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('tombstone', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('penyusutan_id', 'record_id'),
        sa.ForeignKeyConstraint(['penyusutan_id'], ['arsip_penyusutan.id']),
        sa.ForeignKeyConstraint(['record_id'], ['record.id'])
    )
    _index(meta, 'arsip_penyusutan_item', 'ix_arsip_penyusutan_item_penyusutan_id', ['penyusutan_id'])
    _index(meta, 'arsip_penyusutan_item', 'ix_arsip_penyusutan_item_record_id', ['record_id'])
    sa.Table('arsip_versi', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('versi', sa.Integer(), nullable=False),
        sa.Column('alasan', sa.Text(), nullable=False),
        sa.Column('file_asli_id', sa.Integer(), nullable=True),
        sa.Column('file_ocr_id', sa.Integer(), nullable=True),
        sa.Column('nama_berkas', sa.String(length=255), nullable=False),
        sa.Column('jenis_berkas', sa.String(length=16), nullable=False),
        sa.Column('metadata_json', sa.JSON(), nullable=False),
        sa.Column('dibuat_oleh', sa.String(length=64), nullable=False),
        sa.Column('dibuat_pada', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id', 'versi'),
        sa.ForeignKeyConstraint(['record_id'], ['record.id']),
        sa.ForeignKeyConstraint(['file_asli_id'], ['record_file.id']),
        sa.ForeignKeyConstraint(['file_ocr_id'], ['record_file.id'])
    )
    _index(meta, 'arsip_versi', 'ix_arsip_versi_record_id', ['record_id'])


def _audit(meta: sa.MetaData) -> None:
    """Append-only audit trail; each entry carries the hash of the previous one."""
    sa.Table('audit_event', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('object_type', sa.String(length=64), nullable=False),
        sa.Column('object_id', sa.String(length=64), nullable=False),
        sa.Column('desa_code', sa.String(length=13), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('hash')
    )
    _index(meta, 'audit_event', 'ix_audit_event_action', ['action'])
    _index(meta, 'audit_event', 'ix_audit_event_actor', ['actor'])
    _index(meta, 'audit_event', 'ix_audit_event_at', ['at'])


def _batch(meta: sa.MetaData) -> None:
    """Rows of a batch issuance already turned into records (resuming after a power cut)."""
    sa.Table('batch_item', meta,
        sa.Column('ref', sa.String(length=80), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('ref'),
        sa.UniqueConstraint('record_id'),
        sa.ForeignKeyConstraint(['record_id'], ['record.id'])
    )


def _issuance(meta: sa.MetaData) -> None:
    """Numbering registers, issued numbers, files of records, and the service catalogue."""
    sa.Table('hari_libur', meta,
        sa.Column('tanggal', sa.Date(), nullable=False),
        sa.Column('keterangan', sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint('tanggal')
    )
    sa.Table('layanan', meta,
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('nama', sa.String(length=120), nullable=False),
        sa.Column('doctype', sa.String(length=64), nullable=False),
        sa.Column('waktu_hari', sa.Integer(), nullable=False),
        sa.Column('biaya', sa.Integer(), nullable=False),
        sa.Column('persyaratan', sa.JSON(), nullable=False),
        sa.Column('produk', sa.String(length=200), nullable=False),
        sa.Column('dasar_hukum', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('code')
    )
    sa.Table('register', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('number_format', sa.String(length=120), nullable=False),
        sa.Column('unit', sa.String(length=40), nullable=False),
        sa.Column('scheme', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name')
    )
    sa.Table('number_sequence', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('register_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('register_id', 'year'),
        sa.ForeignKeyConstraint(['register_id'], ['register.id'])
    )
    sa.Table('issued_number', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('register_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=True),
        sa.Column('klasifikasi', sa.String(length=40), nullable=False),
        sa.Column('scheme', sa.String(length=40), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('issued_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('register_id', 'year', 'sequence'),
        sa.ForeignKeyConstraint(['register_id'], ['register.id']),
        sa.UniqueConstraint('record_id'),
        sa.ForeignKeyConstraint(['record_id'], ['record.id'])
    )
    _index(meta, 'issued_number', 'ix_issued_number_number', ['number'])
    _index(meta, 'issued_number', 'ix_issued_number_register_id', ['register_id'])
    sa.Table('record_file', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('template_name', sa.String(length=120), nullable=False),
        sa.Column('template_sha256', sa.String(length=64), nullable=False),
        sa.Column('signed', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['record_id'], ['record.id'])
    )
    _index(meta, 'record_file', 'ix_record_file_record_id', ['record_id'])
    _index(meta, 'record_file', 'ix_record_file_sha256', ['sha256'])


def _outbox(meta: sa.MetaData) -> None:
    """The search outbox: index changes written in the same transaction as the change they follow."""
    sa.Table('search_outbox', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('op', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )


def _pejabat(meta: sa.MetaData) -> None:
    """Officials who sign: name, NIP, rank and how they sign (a.n., Plt., Plh.)."""
    sa.Table('pejabat', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.Column('nama', sa.String(length=120), nullable=False),
        sa.Column('nip', sa.String(length=18), nullable=False),
        sa.Column('pangkat', sa.String(length=60), nullable=False),
        sa.Column('golongan', sa.String(length=10), nullable=False),
        sa.Column('jabatan', sa.String(length=120), nullable=False),
        sa.Column('prefix', sa.String(length=8), nullable=False),
        sa.Column('atas_nama', sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username'),
        sa.ForeignKeyConstraint(['username'], ['ab_user.username'], ondelete='CASCADE')
    )


def _pengaduan(meta: sa.MetaData) -> None:
    """Complaints from the public, their handling steps, and the hits the rate limits count."""
    sa.Table('public_hit', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'public_hit', 'ix_public_hit_lookup', ['scope', 'key', 'at'])
    sa.Table('pengaduan', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tracking_code', sa.String(length=16), nullable=False),
        sa.Column('kategori', sa.String(length=20), nullable=False),
        sa.Column('layanan_code', sa.String(length=40), nullable=True),
        sa.Column('judul', sa.String(length=150), nullable=False),
        sa.Column('isi', sa.Text(), nullable=False),
        sa.Column('nama', sa.String(length=100), nullable=False),
        sa.Column('kontak', sa.String(length=100), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('tanggal', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('jawaban', sa.Text(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('answered_on', sa.Date(), nullable=True),
        sa.Column('answered_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tracking_code'),
        sa.ForeignKeyConstraint(['layanan_code'], ['layanan.code'])
    )
    _index(meta, 'pengaduan', 'ix_pengaduan_kategori', ['kategori'])
    _index(meta, 'pengaduan', 'ix_pengaduan_received_at', ['received_at'])
    _index(meta, 'pengaduan', 'ix_pengaduan_state', ['state'])
    _index(meta, 'pengaduan', 'ix_pengaduan_tanggal', ['tanggal'])
    sa.Table('pengaduan_langkah', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pengaduan_id', sa.Integer(), nullable=False),
        sa.Column('transition', sa.String(length=32), nullable=False),
        sa.Column('from_state', sa.String(length=16), nullable=True),
        sa.Column('to_state', sa.String(length=16), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['pengaduan_id'], ['pengaduan.id'])
    )
    _index(meta, 'pengaduan_langkah', 'ix_pengaduan_langkah_pengaduan_id', ['pengaduan_id'])


def _publikasi(meta: sa.MetaData) -> None:
    """Public information: versioned service standards, publications and editable templates."""
    sa.Table('templat_aset', meta,
        sa.Column('nama', sa.String(length=80), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('mime', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('uploaded_by', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('nama')
    )
    sa.Table('templat_versi', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('nama', sa.String(length=40), nullable=False),
        sa.Column('versi', sa.Integer(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('catatan', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('nama', 'versi')
    )
    _index(meta, 'templat_versi', 'ix_templat_versi_nama', ['nama'])
    sa.Table('publikasi', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jenis', sa.String(length=16), nullable=False),
        sa.Column('templat', sa.String(length=40), nullable=False),
        sa.Column('judul', sa.String(length=200), nullable=False),
        sa.Column('isi', sa.Text(), nullable=False),
        sa.Column('layanan_code', sa.String(length=40), nullable=True),
        sa.Column('kelompok', sa.String(length=60), nullable=False),
        sa.Column('ukuran', sa.String(length=4), nullable=False),
        sa.Column('gambar', sa.String(length=80), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('berlaku_mulai', sa.Date(), nullable=False),
        sa.Column('berlaku_sampai', sa.Date(), nullable=True),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('png_sha256', sa.String(length=64), nullable=False),
        sa.Column('layar_sha256', sa.String(length=64), nullable=False),
        sa.Column('halaman', sa.Integer(), nullable=False),
        sa.Column('templat_sha256', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['layanan_code'], ['layanan.code'])
    )
    _index(meta, 'publikasi', 'ix_publikasi_jenis', ['jenis'])
    _index(meta, 'publikasi', 'ix_publikasi_state', ['state'])
    sa.Table('standar_pelayanan', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('layanan_code', sa.String(length=40), nullable=False),
        sa.Column('versi', sa.Integer(), nullable=False),
        sa.Column('nama', sa.String(length=120), nullable=False),
        sa.Column('kelompok', sa.String(length=60), nullable=False),
        sa.Column('ringkasan', sa.Text(), nullable=False),
        sa.Column('persyaratan', sa.JSON(), nullable=False),
        sa.Column('prosedur', sa.JSON(), nullable=False),
        sa.Column('waktu_hari', sa.Integer(), nullable=False),
        sa.Column('biaya', sa.Integer(), nullable=False),
        sa.Column('dasar_biaya', sa.Text(), nullable=False),
        sa.Column('produk', sa.String(length=200), nullable=False),
        sa.Column('pengaduan', sa.Text(), nullable=False),
        sa.Column('sarana', sa.JSON(), nullable=False),
        sa.Column('kompetensi', sa.JSON(), nullable=False),
        sa.Column('dasar_hukum', sa.Text(), nullable=False),
        sa.Column('pengawasan', sa.Text(), nullable=False),
        sa.Column('jumlah_pelaksana', sa.String(length=200), nullable=False),
        sa.Column('jaminan_pelayanan', sa.Text(), nullable=False),
        sa.Column('jaminan_keamanan', sa.Text(), nullable=False),
        sa.Column('evaluasi', sa.Text(), nullable=False),
        sa.Column('keputusan', sa.String(length=200), nullable=False),
        sa.Column('catatan', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('layanan_code', 'versi'),
        sa.ForeignKeyConstraint(['layanan_code'], ['layanan.code'])
    )
    _index(meta, 'standar_pelayanan', 'ix_standar_pelayanan_layanan_code', ['layanan_code'])
    sa.Table('publikasi_langkah', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('publikasi_id', sa.Integer(), nullable=False),
        sa.Column('transition', sa.String(length=32), nullable=False),
        sa.Column('from_state', sa.String(length=32), nullable=True),
        sa.Column('to_state', sa.String(length=32), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['publikasi_id'], ['publikasi.id'])
    )
    _index(meta, 'publikasi_langkah', 'ix_publikasi_langkah_publikasi_id', ['publikasi_id'])


def _records(meta: sa.MetaData) -> None:
    """Documents handled by the office and the recorded history of their workflow."""
    sa.Table('record', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('doctype', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('desa_code', sa.String(length=13), nullable=True),
        sa.Column('penduduk_id', sa.Integer(), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('layanan_code', sa.String(length=40), nullable=True),
        sa.Column('tracking_code', sa.String(length=16), nullable=True),
        sa.Column('promised_date', sa.Date(), nullable=True),
        sa.Column('number', sa.String(length=120), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=True),
        sa.Column('verify_code', sa.String(length=24), nullable=True),
        sa.Column('created_on', sa.DateTime(), nullable=False),
        sa.Column('changed_on', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['desa_code'], ['wilayah.code']),
        sa.ForeignKeyConstraint(['penduduk_id'], ['penduduk.id']),
        sa.ForeignKeyConstraint(['layanan_code'], ['layanan.code']),
        sa.UniqueConstraint('tracking_code'),
        sa.UniqueConstraint('verify_code')
    )
    _index(meta, 'record', 'ix_record_desa_code', ['desa_code'])
    _index(meta, 'record', 'ix_record_doctype', ['doctype'])
    _index(meta, 'record', 'ix_record_number', ['number'])
    _index(meta, 'record', 'ix_record_penduduk_id', ['penduduk_id'])
    _index(meta, 'record', 'ix_record_state', ['state'])
    sa.Table('record_transition', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('transition', sa.String(length=32), nullable=False),
        sa.Column('from_state', sa.String(length=32), nullable=True),
        sa.Column('to_state', sa.String(length=32), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.ForeignKeyConstraint(['record_id'], ['record.id'])
    )
    _index(meta, 'record_transition', 'ix_record_transition_record_id', ['record_id'])


def _registry(meta: sa.MetaData) -> None:
    """Citizen registry: Penduduk (KTP-el fields) and Keluarga (No. KK with its members)."""
    sa.Table('keluarga', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('no_kk', sa.String(length=16), nullable=False),
        sa.Column('desa_code', sa.String(length=13), nullable=False),
        sa.Column('alamat', sa.String(length=200), nullable=False),
        sa.Column('rt', sa.String(length=3), nullable=False),
        sa.Column('rw', sa.String(length=3), nullable=False),
        sa.Column('kode_pos', sa.String(length=5), nullable=False),
        sa.Column('changed_on', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('no_kk'),
        sa.ForeignKeyConstraint(['desa_code'], ['wilayah.code'])
    )
    _index(meta, 'keluarga', 'ix_keluarga_desa_code', ['desa_code'])
    sa.Table('penduduk', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('nik', sa.String(length=16), nullable=False),
        sa.Column('nama', sa.String(length=100), nullable=False),
        sa.Column('tempat_lahir', sa.String(length=60), nullable=False),
        sa.Column('tanggal_lahir', sa.Date(), nullable=False),
        sa.Column('jenis_kelamin', sa.String(length=12), nullable=False),
        sa.Column('golongan_darah', sa.String(length=10), nullable=False),
        sa.Column('alamat', sa.String(length=200), nullable=False),
        sa.Column('rt', sa.String(length=3), nullable=False),
        sa.Column('rw', sa.String(length=3), nullable=False),
        sa.Column('desa_code', sa.String(length=13), nullable=False),
        sa.Column('agama', sa.String(length=60), nullable=False),
        sa.Column('status_perkawinan', sa.String(length=40), nullable=False),
        sa.Column('pekerjaan', sa.String(length=60), nullable=False),
        sa.Column('pendidikan', sa.String(length=60), nullable=False),
        sa.Column('kewarganegaraan', sa.String(length=30), nullable=False),
        sa.Column('keluarga_id', sa.Integer(), nullable=True),
        sa.Column('hubungan', sa.String(length=30), nullable=False),
        sa.Column('nama_ayah', sa.String(length=100), nullable=False),
        sa.Column('nama_ibu', sa.String(length=100), nullable=False),
        sa.Column('changed_on', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('nik'),
        sa.ForeignKeyConstraint(['desa_code'], ['wilayah.code']),
        sa.ForeignKeyConstraint(['keluarga_id'], ['keluarga.id'])
    )
    _index(meta, 'penduduk', 'ix_penduduk_desa_code', ['desa_code'])
    _index(meta, 'penduduk', 'ix_penduduk_keluarga_id', ['keluarga_id'])
    _index(meta, 'penduduk', 'ix_penduduk_nama', ['nama'])


def _security(meta: sa.MetaData) -> None:
    """Local roles (a role that holds only inside one desa, Plone's local roles) and login state."""
    sa.Table('lemari_account_security', meta,
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('must_change_password', sa.Boolean(), nullable=False),
        sa.Column('password_changed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('user_id'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE')
    )
    sa.Table('lemari_local_role', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role_name', sa.String(length=64), nullable=False),
        sa.Column('desa_code', sa.String(length=13), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'role_name', 'desa_code'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['desa_code'], ['wilayah.code'])
    )
    _index(meta, 'lemari_local_role', 'ix_lemari_local_role_user_id', ['user_id'])


def _survei(meta: sa.MetaData) -> None:
    """Satisfaction survey answers (Survei Kepuasan Masyarakat, PermenPANRB 14/2017)."""
    sa.Table('survei_respon', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('layanan_code', sa.String(length=40), nullable=False),
        sa.Column('tanggal', sa.Date(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
        sa.Column('u1', sa.SmallInteger(), nullable=False),
        sa.Column('u2', sa.SmallInteger(), nullable=False),
        sa.Column('u3', sa.SmallInteger(), nullable=False),
        sa.Column('u4', sa.SmallInteger(), nullable=False),
        sa.Column('u5', sa.SmallInteger(), nullable=False),
        sa.Column('u6', sa.SmallInteger(), nullable=False),
        sa.Column('u7', sa.SmallInteger(), nullable=False),
        sa.Column('u8', sa.SmallInteger(), nullable=False),
        sa.Column('u9', sa.SmallInteger(), nullable=False),
        sa.Column('jenis_kelamin', sa.String(length=12), nullable=False),
        sa.Column('usia', sa.String(length=12), nullable=False),
        sa.Column('pendidikan', sa.String(length=20), nullable=False),
        sa.Column('pekerjaan', sa.String(length=20), nullable=False),
        sa.Column('saran', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id'),
        sa.ForeignKeyConstraint(['record_id'], ['record.id']),
        sa.ForeignKeyConstraint(['layanan_code'], ['layanan.code'])
    )
    _index(meta, 'survei_respon', 'ix_survei_respon_layanan_code', ['layanan_code'])
    _index(meta, 'survei_respon', 'ix_survei_respon_tanggal', ['tanggal'])


def _wilayah(meta: sa.MetaData) -> None:
    """Versioned region table (provinsi → kabupaten/kota → kecamatan → desa)."""
    sa.Table('wilayah', meta,
        sa.Column('code', sa.String(length=13), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('level', sa.String(length=10), nullable=False),
        sa.Column('parent_code', sa.String(length=13), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('code')
    )
    _index(meta, 'wilayah', 'ix_wilayah_level', ['level'])
    _index(meta, 'wilayah', 'ix_wilayah_parent_code', ['parent_code'])


TABLES = (
    _security_fab,
    _antrian,
    _arsip,
    _audit,
    _batch,
    _issuance,
    _outbox,
    _pejabat,
    _pengaduan,
    _publikasi,
    _records,
    _registry,
    _security,
    _survei,
    _wilayah,
)
