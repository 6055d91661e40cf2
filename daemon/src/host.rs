//! This machine, as `-t`'s host checks ask about it (`conf_parser::host`): its network
//! interfaces (of the network namespace we run in), users and groups, and programs.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

/// PATH when the environment has none (glibc's default search path for execvp, with sbin).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Remembers the interfaces it was asked about: a large file names the same few thousands of
/// times.
#[derive(Default)]
pub struct System {
    interfaces: RefCell<HashMap<String, bool>>,
}

impl conf_parser::host::Host for System {
    fn has_interface(&self, name: &str) -> bool {
        if let Some(&known) = self.interfaces.borrow().get(name) {
            return known;
        }
        let exists = nix::net::if_::if_nametoindex(name).is_ok();
        self.interfaces
            .borrow_mut()
            .insert(name.to_string(), exists);
        exists
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
        let system = System::default();
        assert!(system.has_interface("lo"));
        assert!(system.has_interface("lo"), "remembered");
        assert!(!system.has_interface("kars-no-such0"));
        assert!(system.has_user("root"));
        assert!(!system.has_user("kars-no-such-user"));
        assert!(system.has_group("root"));
        assert!(system.has_program("/bin/sh"));
        assert!(system.has_program("sh"));
        assert!(!system.has_program("/nonexistent/kars"));
        assert!(!system.has_program("kars-no-such-program"));
        assert!(!system.has_program("/"), "a directory is not a program");
    }
}
