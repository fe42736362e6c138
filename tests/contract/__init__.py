"""Contract tier: what we send to Twilio, checked against Twilio's own OpenAPI description (Prism)."""
