DROP TABLE document_client_bindings;
