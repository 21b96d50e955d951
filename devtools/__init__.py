"""Development tooling: embedded servers and the local runner. The app never imports it."""
