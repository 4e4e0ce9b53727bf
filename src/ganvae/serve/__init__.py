"""`ganvae serve`: an HTTP API over trained models (issue 19). `app.create_app` builds the ASGI app;
`limits` holds what one request may ask for; `worker` runs every model call on one thread."""
