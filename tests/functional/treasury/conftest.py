from tests.functional.documents.conftest import purge_books  # noqa: F401
from tests.integration.documents.conftest import document_storage  # noqa: F401
from tests.integration.treasury.conftest import issued, staff  # noqa: F401
