"""The HTTP application: REST API, problem responses, OpenAPI, live events."""
