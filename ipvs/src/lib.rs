//! IPVS generic-netlink client and the reconciler (desired state in, minimal diff out).
//! Not built yet: see issue 5 and docs/architecture.md.
