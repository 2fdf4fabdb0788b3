"""Registers per kind of document: the citizen's forms and the petugas's receipts get their own
series (they are not naskah dinas, so never the Camat's outgoing-letter register), and the
Keputusan Camat register, which printed a bare "NOMOR 7", is numbered like the other naskah
dinas ("100.3.3/7/Kec.KB/2026"; Permendagri 83/2022 Pasal 3 ayat (6)).

Data only: rows an office already has keep their settings; the keputusan format changes only
while it is still the shipped "{urut}". Revision 0005, after 0004 (office setup).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

REGISTER = sa.table("register", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("title", sa.String), sa.column("number_format", sa.String),
                    sa.column("unit", sa.String), sa.column("scheme", sa.String))
NEW = (
    {"name": "formulir_pemohon", "title": "Formulir Permohonan Warga (bukan naskah dinas)",
     "number_format": "F-{urut:05}/{kode}/{unit}/{tahun}"},
    {"name": "tanda_terima", "title": "Tanda Terima Petugas (bukan naskah dinas)",
     "number_format": "TT-{urut:05}/{unit}/{tahun}"},
)
OLD_KEPUTUSAN, NEW_KEPUTUSAN = "{urut}", "{kode}/{urut}/{unit}/{tahun}"


def upgrade() -> None:
    """Add the two registers (with the office's unit code) unless the office has them; give
    the keputusan register the naskah dinas format if it still has the shipped bare one."""
    bind = op.get_bind()
    known = set(bind.execute(sa.select(REGISTER.c.name)).scalars())
    if not known:
        return  # an empty database: `lemari init` seeds every register itself
    unit = bind.execute(sa.select(REGISTER.c.unit).where(REGISTER.c.name == "surat_keluar")
                        ).scalar() or "Kec.KB"
    rows = [{**spec, "unit": unit, "scheme": "permendagri-83-2022"}
            for spec in NEW if spec["name"] not in known]
    if rows:
        op.bulk_insert(REGISTER, rows)
    bind.execute(REGISTER.update().where(REGISTER.c.name == "keputusan",
                                         REGISTER.c.number_format == OLD_KEPUTUSAN)
                 .values(number_format=NEW_KEPUTUSAN))


def downgrade() -> None:
    """Put the keputusan format back; the new registers stay if numbers were taken from them
    (issued numbers point at them), and are removed otherwise."""
    bind = op.get_bind()
    bind.execute(REGISTER.update().where(REGISTER.c.name == "keputusan",
                                         REGISTER.c.number_format == NEW_KEPUTUSAN)
                 .values(number_format=OLD_KEPUTUSAN))
    used = sa.text("SELECT 1 FROM issued_number WHERE register_id = :id LIMIT 1")
    for spec in NEW:
        found = bind.execute(sa.select(REGISTER.c.id).where(REGISTER.c.name == spec["name"])
                             ).scalar()
        if found is not None and bind.execute(used, {"id": found}).first() is None:
            bind.execute(sa.text("DELETE FROM number_sequence WHERE register_id = :id"),
                         {"id": found})
            bind.execute(REGISTER.delete().where(REGISTER.c.id == found))
