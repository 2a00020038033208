//! Which network path media takes, for the "Connection" detail: straight over UDP, over TCP
//! (the server's ICE-TCP port, when UDP is blocked), or through a TURN relay. Also applies the
//! server's ICE configuration (its TURN servers, with credentials that come fresh with every
//! offer) to the connection before an offer is answered.

use js_sys::{Array, Reflect};
use plenary_shared::media::{IceConfig, IcePolicy};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{RtcConfiguration, RtcIceServer, RtcIceTransportPolicy, RtcPeerConnection};

/// The path the connection's selected candidate pair takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaPath {
    Udp,
    Tcp,
    Relay,
}

/// Gives the connection the server's TURN servers and policy (before the answer, so
/// gathering uses them).
pub fn configure(pc: &RtcPeerConnection, ice: &IceConfig) -> Result<(), JsValue> {
    let servers = Array::new();
    for s in &ice.servers {
        let server = RtcIceServer::new();
        let urls = Array::new();
        for u in &s.urls {
            urls.push(&JsValue::from_str(u));
        }
        server.set_urls(&urls);
        server.set_username(&s.username);
        server.set_credential(&s.credential);
        servers.push(&server);
    }
    let config = RtcConfiguration::new();
    config.set_ice_servers(&servers);
    config.set_ice_transport_policy(match ice.policy {
        IcePolicy::All => RtcIceTransportPolicy::All,
        IcePolicy::Relay => RtcIceTransportPolicy::Relay,
    });
    pc.set_configuration_with_configuration(&config)
}

/// The path of the selected candidate pair in a `getStats()` report, if one is selected.
pub fn selected(report: &JsValue) -> Option<MediaPath> {
    let map: &js_sys::Map = report.unchecked_ref();
    let get = |v: &JsValue, k: &str| Reflect::get(v, &k.into()).ok().and_then(|v| v.as_string());
    let mut pair_id = None;
    map.for_each(&mut |entry, _| {
        if get(&entry, "type").as_deref() == Some("transport") {
            pair_id = pair_id
                .take()
                .or_else(|| get(&entry, "selectedCandidatePairId"));
        }
    });
    let pair = map.get(&JsValue::from_str(&pair_id?));
    let local = map.get(&JsValue::from_str(&get(&pair, "localCandidateId")?));
    if get(&local, "candidateType").as_deref() == Some("relay") {
        return Some(MediaPath::Relay);
    }
    match get(&local, "protocol").as_deref() {
        Some("tcp") => Some(MediaPath::Tcp),
        Some("udp") => Some(MediaPath::Udp),
        _ => None,
    }
}
