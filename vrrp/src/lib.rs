//! VRRP (RFC 3768 / RFC 5798) as a sans-IO protocol core: packet codec and state machine as pure
//! functions of (state, input, now) -> actions. Not built yet: see issue 4 and docs/architecture.md.
