from tests.integration.documents.conftest import accountant, companies, document_storage, operator  # noqa: F401
