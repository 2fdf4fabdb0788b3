"""The catalog's wording as a clerk sees it on Flask-AppBuilder's own pages (issue 15)."""


def test_user_form_and_role_list_use_the_office_wording(client, auth):
    auth.login("admin")
    form = client.get("/users/add").get_data(as_text=True)
    assert "Nama lengkap" in form and "Nama Depan" not in form and "Nama Belakang" not in form
    roles = client.get("/roles/list/").get_data(as_text=True)
    assert "Hak akses" in roles and "Izin" not in roles
    empty = client.get("/users/list/?_flt_0_username=tidak-ada-pengguna-ini").get_data(as_text=True)
    assert "Data tidak ditemukan" in empty and "catatan" not in empty.lower()
