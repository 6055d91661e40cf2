//! Tests of address, route and rule lines.
