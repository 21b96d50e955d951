"""The SOW attachment: what may be uploaded, where it is stored, and who may download it.

Uploads land under the tenant's own folder in MEDIA_ROOT and are served only through
``/handoffs/<id>/sow/``, to the people who may see the packet.
"""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from pypdf import PdfWriter

from handoffs.forms import SOW_MAX_BYTES
from handoffs.models import HandoffPacket
from psops.accounts.models import Role, User
from tests.conftest import TenantClient, host_of
from tests.handoffs.factories import HandoffPacketFactory
from tests.handoffs.pages import form_values

pytestmark = pytest.mark.django_db


def pdf_bytes(version: str = "1.7") -> bytes:
    """A real one-page PDF."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.pdf_header = f"%PDF-{version}"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bytes(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


WORD_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
PDF = pdf_bytes()
DOCX = zip_bytes({"[Content_Types].xml": WORD_TYPES, "word/document.xml": "<w:document/>"})
# What passed when only the first bytes were looked at.
PDF_HEADER_ONLY = b"%PDF-1.7\n<html><script>alert(1)</script></html>"
ZIP_NOT_WORD = zip_bytes({"notes.txt": "Scope: everything"})
WORD_TYPES_WITHOUT_DOCUMENT = zip_bytes({"[Content_Types].xml": WORD_TYPES})


@pytest.fixture
def media_root(settings, tmp_path):
    """A fresh MEDIA_ROOT for this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # TenantFileSystemStorage caches its root and does not notice MEDIA_ROOT changing
    # (django-tenants clears the cache only for MULTITENANT_RELATIVE_MEDIA_ROOT);
    # re-assigning STORAGES makes Django build a new storage that reads the new root.
    settings.STORAGES = {**settings.STORAGES}
    return tmp_path / "media"


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def edit_with_sow(browser, packet, sow):
    url = f"/handoffs/{packet.pk}/edit/"
    return browser.post(url, form_values(browser.get(url)) | {"sow": sow})


@pytest.fixture
def packet_with_sow(sales, media_root, tenant):
    packet = HandoffPacketFactory(filed_by=sales, submitted=True, deal_name="Hooli rollout")
    packet.sow.save("hooli.pdf", ContentFile(PDF), save=False)
    packet.sow_filename = "Hooli SOW v3.pdf"
    packet.save()
    return packet


class TestUploading:
    def test_a_pdf_is_stored_in_the_tenants_own_folder(self, tenant, sales, client_for, media_root):
        seller = client_for(sales)
        data = form_values(seller.get("/handoffs/new/")) | {
            "deal_name": "Hooli rollout",
            "new_client_name": "Hooli",
            "sow": upload("Hooli SOW.PDF", PDF),
        }

        response = seller.post("/handoffs/new/", data)

        assert response.status_code == 302
        packet = HandoffPacket.objects.get()
        assert packet.sow_filename == "Hooli SOW.PDF"
        assert packet.sow.name.startswith(f"handoffs/sow/{packet.pk}-")
        assert packet.sow.name.endswith(".pdf")
        stored = media_root / tenant.schema_name / packet.sow.name
        assert stored.read_bytes() == PDF
        assert not (media_root / packet.sow.name).exists()
        page = seller.get(f"/handoffs/{packet.pk}/").content.decode()
        assert f'<a href="/handoffs/{packet.pk}/sow/">Hooli SOW.PDF</a>' in page

    def test_a_form_with_errors_says_the_chosen_sow_was_not_saved(
        self, tenant, sales, client_for, media_root
    ):
        seller = client_for(sales)
        data = form_values(seller.get("/handoffs/new/")) | {
            "deal_name": "Hooli rollout",
            "new_client_name": "",  # no client: the form is refused
            "sow": upload("Hooli SOW.pdf", PDF),
        }

        response = seller.post("/handoffs/new/", data)

        assert response.status_code == 400
        page = response.content.decode()
        assert "Hooli SOW.pdf was not saved because of the other errors on this page" in page
        assert "attach it again before you save" in page
        assert not HandoffPacket.objects.exists()
        assert not any(path.is_file() for path in media_root.rglob("*"))

    def test_the_form_says_a_sow_is_not_needed_to_submit(self, sales, client_for):
        page = client_for(sales).get("/handoffs/new/").content.decode()

        assert "Not needed to submit" in page

    def test_a_docx_is_accepted_too(self, sales, client_for, media_root):
        packet = HandoffPacketFactory(filed_by=sales)

        response = edit_with_sow(client_for(sales), packet, upload("sow.docx", DOCX, "x/y"))

        assert response.status_code == 302
        packet.refresh_from_db()
        assert packet.sow_filename == "sow.docx"

    @pytest.mark.parametrize(
        ("name", "content", "complaint"),
        [
            ("sow.txt", b"Scope: everything", "Attach the SOW as a PDF or DOCX file."),
            ("sow.pdf.exe", PDF, "Attach the SOW as a PDF or DOCX file."),
            ("sow.pdf", b"<html>not a pdf</html>", "This file is not a valid PDF document."),
            ("sow.docx", PDF, "This file is not a valid DOCX document."),
            ("sow.pdf", PDF_HEADER_ONLY, "This file is not a valid PDF document."),
            ("sow.docx", ZIP_NOT_WORD, "This file is not a valid DOCX document."),
            ("sow.docx", WORD_TYPES_WITHOUT_DOCUMENT, "This file is not a valid DOCX document."),
            ("sow.pdf", PDF + b"\0" * SOW_MAX_BYTES, "MB; the limit is 10 MB."),
        ],
        ids=[
            "text",
            "wrong-extension",
            "fake-pdf",
            "pdf-named-docx",
            "pdf-header-only",
            "zip-not-word",
            "word-types-without-document",
            "too-big",
        ],
    )
    def test_anything_else_is_a_field_error_and_nothing_is_stored(
        self, sales, client_for, media_root, name, content, complaint
    ):
        packet = HandoffPacketFactory(filed_by=sales, goals="Before the upload.")
        browser = client_for(sales)
        url = f"/handoffs/{packet.pk}/edit/"
        data = form_values(browser.get(url)) | {"goals": "Changed.", "sow": upload(name, content)}

        response = browser.post(url, data)

        assert response.status_code == 400
        errors = response.context["form"].errors["sow"]
        assert len(errors) == 1
        assert complaint in errors[0]
        assert complaint in response.content.decode()
        packet.refresh_from_db()
        assert (packet.sow.name, packet.sow_filename, packet.goals) == (
            "",
            "",
            "Before the upload.",
        )
        assert not media_root.exists() or not any(media_root.rglob("*.*"))

    def test_a_new_upload_replaces_the_download(self, sales, client_for, packet_with_sow):
        HandoffPacket.objects.filter(pk=packet_with_sow.pk).update(status="changes_requested")
        browser = client_for(sales)
        new_pdf = pdf_bytes("2.0")

        assert edit_with_sow(browser, packet_with_sow, upload("v4.pdf", new_pdf)).status_code == 302

        download = browser.get(f"/handoffs/{packet_with_sow.pk}/sow/")
        assert b"".join(download.streaming_content) == new_pdf
        assert 'filename="v4.pdf"' in download["Content-Disposition"]


class TestDownloading:
    def assert_downloads(self, response):
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="Hooli SOW v3.pdf"'
        assert "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_the_filer_downloads_it(self, client_for, sales, packet_with_sow):
        self.assert_downloads(client_for(sales).get(f"/handoffs/{packet_with_sow.pk}/sow/"))

    def test_a_leader_downloads_it(self, client_for, leader, packet_with_sow):
        self.assert_downloads(client_for(leader).get(f"/handoffs/{packet_with_sow.pk}/sow/"))

    def test_the_assigned_consultant_downloads_it(self, client_for, consultant, packet_with_sow):
        packet_with_sow.assigned_reviewer = consultant
        packet_with_sow.save()

        self.assert_downloads(client_for(consultant).get(f"/handoffs/{packet_with_sow.pk}/sow/"))

    @pytest.mark.parametrize("role", [Role.SALES, Role.CONSULTANT])
    def test_another_rep_or_an_unassigned_consultant_gets_404(
        self, client_for, make_user, packet_with_sow, role
    ):
        response = client_for(make_user(role)).get(f"/handoffs/{packet_with_sow.pk}/sow/")

        assert response.status_code == 404
        assert b"%PDF" not in response.content

    def test_anonymous_is_sent_to_sign_in(self, anonymous_client, packet_with_sow):
        response = anonymous_client.get(f"/handoffs/{packet_with_sow.pk}/sow/")

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")

    def test_a_packet_without_a_sow_has_nothing_to_download(self, client_for, sales):
        packet = HandoffPacketFactory(filed_by=sales)

        assert client_for(sales).get(f"/handoffs/{packet.pk}/sow/").status_code == 404

    def test_another_tenants_sow_is_404_here_and_its_file_stays_in_its_folder(
        self, tenant, other_tenant, client_for, leader, media_root
    ):
        connection.set_tenant(other_tenant)
        try:
            globex_sales = User.objects.create(email="rep@globex.test", role=Role.SALES)
            globex_packet = HandoffPacketFactory(pk=987_654_321, filed_by=globex_sales)
            globex_packet.sow.save("globex.pdf", ContentFile(PDF), save=True)
            stored = media_root / other_tenant.schema_name / globex_packet.sow.name
        finally:
            connection.set_tenant(tenant)
        assert stored.read_bytes() == PDF

        response = client_for(leader).get(f"/handoffs/{globex_packet.pk}/sow/")

        assert response.status_code == 404
        assert b"%PDF" not in response.content

    def test_an_acme_session_is_worthless_on_the_globex_host(
        self, tenant, other_tenant, client_for, sales, packet_with_sow
    ):
        acme = client_for(sales)
        globex = TenantClient(host=host_of(other_tenant))
        globex.cookies = acme.cookies

        response = globex.get(f"/handoffs/{packet_with_sow.pk}/sow/")

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
