"""Officials who sign: name, NIP, rank and how they sign (a.n., Plt., Plh.)."""

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class Pejabat(Model):
    """The signing identity of a user, printed in the signature block."""

    __audit_area__ = "konfigurasi"

    __tablename__ = "pejabat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("ab_user.username", ondelete="CASCADE"),
                                          unique=True)
    nama: Mapped[str] = mapped_column(String(120))
    nip: Mapped[str] = mapped_column(String(18), default="")
    pangkat: Mapped[str] = mapped_column(String(60), default="")
    golongan: Mapped[str] = mapped_column(String(10), default="")
    jabatan: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(8), default="")  # "", "a.n.", "Plt.", "Plh."
    atas_nama: Mapped[str] = mapped_column(String(120), default="")

    def signature_block(self) -> dict:
        """The `signer` mapping the PDF templates print."""
        return {"jabatan": self.jabatan, "prefix": self.prefix, "atas_nama": self.atas_nama,
                "nama": self.nama, "pangkat": self.pangkat, "golongan": self.golongan,
                "nip": self.nip}
