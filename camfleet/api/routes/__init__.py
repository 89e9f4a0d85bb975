"""One router module per resource; each only translates HTTP into calls to the layers below."""
