"""Use cases of documents: issuing a confirmed month's documents, exporting them, their e-mails."""
