//! This machine, as `-t`'s host checks ask about it (`conf_parser::host`): its network
//! interfaces (of the network namespace we run in), users and groups, and programs.

use std::path::Path;

/// PATH when the environment has none (glibc's default search path for execvp, with sbin).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub struct System;

impl conf_parser::host::Host for System {
    fn has_interface(&self, name: &str) -> bool {
        nix::net::if_::if_nametoindex(name).is_ok()
    }

    fn has_user(&self, name: &str) -> bool {
        matches!(nix::unistd::User::from_name(name), Ok(Some(_)))
    }

    fn has_group(&self, name: &str) -> bool {
        matches!(nix::unistd::Group::from_name(name), Ok(Some(_)))
    }

    fn has_program(&self, program: &str) -> bool {
        if program.contains('/') {
            return Path::new(program).is_file();
        }
        let path = std::env::var("PATH").unwrap_or_else(|_| DEFAULT_PATH.to_string());
        path.split(':')
            .filter(|dir| !dir.is_empty())
            .any(|dir| Path::new(dir).join(program).is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::System;
    use conf_parser::host::Host;

    #[test]
    fn asks_the_real_system() {
        assert!(System.has_interface("lo"));
        assert!(!System.has_interface("kars-no-such0"));
        assert!(System.has_user("root"));
        assert!(!System.has_user("kars-no-such-user"));
        assert!(System.has_group("root"));
        assert!(System.has_program("/bin/sh"));
        assert!(System.has_program("sh"));
        assert!(!System.has_program("/nonexistent/kars"));
        assert!(!System.has_program("kars-no-such-program"));
        assert!(!System.has_program("/"), "a directory is not a program");
    }
}
