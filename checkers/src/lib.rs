//! Async health checkers (TCP_CHECK, HTTP_GET, ...). Not built yet: see issue 6 and
//! docs/architecture.md.
