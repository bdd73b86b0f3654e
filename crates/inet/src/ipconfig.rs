//! Linux's `ip=` kernel parameter (`Documentation/admin-guide/nfs/nfsroot.rst`,
//! `net/ipv4/ipconfig.c`'s `ip_auto_config_setup`):
//! `ip=<client-ip>:<server-ip>:<gw-ip>:<netmask>:<hostname>:<device>:<autoconf>:<dns0-ip>:<dns1-ip>:<ntp0-ip>`,
//! or one word: `off`/`none` (no configuration), `on`/`any`/`dhcp`/`bootp`/`rarp`/`both`
//! (automatic). Fields may be empty; a malformed address is ignored as Linux's `in_aton`
//! leaves it unset. Without a netmask, the class of the address gives one (`ic_defaults`).

/// What `ip=` asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpConfig {
    pub client: Option<[u8; 4]>,
    pub server: Option<[u8; 4]>,
    pub gateway: Option<[u8; 4]>,
    pub netmask: Option<[u8; 4]>,
    pub hostname: Option<alloc::string::String>,
    /// The interface (`eth0`); `None`: the first one that comes up.
    pub device: Option<alloc::string::String>,
    /// Automatic configuration (DHCP) rather than static.
    pub is_dhcp: bool,
    pub dns: [Option<[u8; 4]>; 2],
}

/// A dotted quad.
pub fn parse_v4(text: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = text.split('.');
    for byte in &mut out {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *byte = part.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// The prefix length of a netmask (`None` if its ones are not contiguous).
pub fn prefix_len(mask: [u8; 4]) -> Option<u8> {
    let bits = u32::from_be_bytes(mask);
    let ones = bits.leading_ones();
    (bits.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

/// The class-based netmask of `ip` (`inet_make_mask` of `IN_CLASSA/B/C`).
pub fn class_mask(ip: [u8; 4]) -> [u8; 4] {
    match ip[0] {
        0..=127 => [255, 0, 0, 0],
        128..=191 => [255, 255, 0, 0],
        _ => [255, 255, 255, 0],
    }
}

fn is_auto_word(word: &str) -> bool {
    matches!(word, "on" | "any" | "dhcp" | "bootp" | "rarp" | "both")
}

/// Parses the value of `ip=`; `None` for `off`/`none` or an empty value.
pub fn parse(value: &str) -> Option<IpConfig> {
    if value.is_empty() || value == "off" || value == "none" {
        return None;
    }
    if is_auto_word(value) {
        return Some(IpConfig {
            is_dhcp: true,
            ..IpConfig::default()
        });
    }
    let mut config = IpConfig::default();
    let mut has_autoconf = false;
    for (index, field) in value.split(':').enumerate() {
        if field.is_empty() {
            continue;
        }
        match index {
            0 => config.client = parse_v4(field),
            1 => config.server = parse_v4(field),
            2 => config.gateway = parse_v4(field),
            3 => config.netmask = parse_v4(field).filter(|m| prefix_len(*m).is_some()),
            4 => config.hostname = Some(field.into()),
            5 => config.device = Some(field.into()),
            6 => {
                has_autoconf = true;
                if field == "off" || field == "none" {
                    config.is_dhcp = false;
                } else if is_auto_word(field) {
                    config.is_dhcp = true;
                }
            }
            7 => config.dns[0] = parse_v4(field),
            8 => config.dns[1] = parse_v4(field),
            _ => {}
        }
    }
    // No address and no autoconf field: automatic, as Linux's default `ic_proto_enabled`.
    if config.client.is_none() && !has_autoconf {
        config.is_dhcp = true;
    }
    if config.client.is_none() && !config.is_dhcp {
        return None;
    }
    if let (Some(client), None) = (config.client, config.netmask) {
        config.netmask = Some(class_mask(client));
    }
    Some(config)
}

/// What automatic configuration found, for `/proc/net/pnp`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lease {
    /// The protocol's name (`DHCP`), or `None` for a static configuration (`#MANUAL`).
    pub proto: Option<&'static str>,
    pub domain: Option<alloc::string::String>,
    /// Up to three name servers (`CONF_NAMESERVERS_MAX`).
    pub nameservers: [Option<[u8; 4]>; 3],
    pub bootserver: Option<[u8; 4]>,
}

fn dotted(out: &mut alloc::string::String, ip: [u8; 4]) {
    use core::fmt::Write;
    let _ = write!(out, "{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]);
}

/// `/proc/net/pnp` (`ipconfig.c`'s `pnp_seq_show`): the protocol, the domain, the name
/// servers and the boot server, as `/etc/resolv.conf` lines.
pub fn pnp_text(lease: &Lease) -> alloc::string::String {
    let mut out = alloc::string::String::new();
    match lease.proto {
        Some(proto) => {
            out.push_str("#PROTO: ");
            out.push_str(proto);
            out.push('\n');
        }
        None => out.push_str("#MANUAL\n"),
    }
    if let Some(domain) = &lease.domain {
        out.push_str("domain ");
        out.push_str(domain);
        out.push('\n');
    }
    for server in lease.nameservers.iter().flatten() {
        out.push_str("nameserver ");
        dotted(&mut out, *server);
        out.push('\n');
    }
    if let Some(server) = lease.bootserver {
        out.push_str("bootserver ");
        dotted(&mut out, server);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pnp() {
        let lease = Lease {
            proto: Some("DHCP"),
            domain: None,
            nameservers: [Some([10, 0, 2, 3]), None, None],
            bootserver: Some([10, 0, 2, 2]),
        };
        assert_eq!(
            pnp_text(&lease),
            "#PROTO: DHCP\nnameserver 10.0.2.3\nbootserver 10.0.2.2\n"
        );
        assert_eq!(pnp_text(&Lease::default()), "#MANUAL\n");
    }

    use super::*;

    #[test]
    fn static_qemu_user() {
        let config = parse("10.0.2.15::10.0.2.2:255.255.255.0::eth0:off").unwrap();
        assert_eq!(config.client, Some([10, 0, 2, 15]));
        assert_eq!(config.server, None);
        assert_eq!(config.gateway, Some([10, 0, 2, 2]));
        assert_eq!(config.netmask, Some([255, 255, 255, 0]));
        assert_eq!(config.device.as_deref(), Some("eth0"));
        assert!(!config.is_dhcp);
        let with_dns = parse("10.0.2.15::10.0.2.2:255.255.255.0:guest:eth0:none:10.0.2.3").unwrap();
        assert_eq!(with_dns.dns[0], Some([10, 0, 2, 3]));
        assert_eq!(with_dns.hostname.as_deref(), Some("guest"));
    }

    #[test]
    fn words_and_defaults() {
        assert_eq!(parse("off"), None);
        assert_eq!(parse("none"), None);
        assert_eq!(parse(""), None);
        assert!(parse("dhcp").unwrap().is_dhcp);
        assert!(parse("on").unwrap().is_dhcp);
        // A word that is no address: the client field is unset, so automatic.
        assert!(parse("bogus").unwrap().is_dhcp);
        assert!(parse(":::::eth0:dhcp").unwrap().is_dhcp);
        assert!(parse(":::::eth0").unwrap().is_dhcp);
        assert_eq!(parse(":::::eth0:off"), None);
        // Class defaults for the mask; a non-contiguous mask is ignored.
        assert_eq!(parse("10.1.2.3").unwrap().netmask, Some([255, 0, 0, 0]));
        assert_eq!(
            parse("192.168.1.9::::::off").unwrap().netmask,
            Some([255, 255, 255, 0])
        );
        assert_eq!(
            parse("172.16.0.1::1.2.3.4:255.0.255.0").unwrap().netmask,
            Some([255, 255, 0, 0])
        );
        assert_eq!(parse("1.2.3").map(|c| c.client), Some(None));
        assert_eq!(parse("10.0.2.15").unwrap().client, Some([10, 0, 2, 15]));
    }

    #[test]
    fn helpers() {
        assert_eq!(parse_v4("10.0.2.15"), Some([10, 0, 2, 15]));
        assert_eq!(parse_v4("256.0.0.1"), None);
        assert_eq!(parse_v4("1.2.3.4.5"), None);
        assert_eq!(parse_v4("1..3.4"), None);
        assert_eq!(prefix_len([255, 255, 255, 0]), Some(24));
        assert_eq!(prefix_len([0; 4]), Some(0));
        assert_eq!(prefix_len([255; 4]), Some(32));
        assert_eq!(prefix_len([255, 0, 255, 0]), None);
    }
}
