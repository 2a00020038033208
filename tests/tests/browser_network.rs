//! HTTPS and media through networks that block UDP, in headless Chromium. Over HTTPS (a
//! self-signed certificate), the page, its WebSocket and media come up. Then four pages: with the server
//! offering only its ICE-TCP candidate, and with every page forced through a real coturn relay
//! (`iceTransportPolicy: "relay"`, credentials the server made). In each, every page decodes
//! the other three's video, and its "Connection" detail names the path its media took; with
//! both UDP and TCP on offer, that is UDP. Each prints the join-to-first-frame time over its
//! path.

use plenary_e2e::browser::{Driver, Page, join_as, require_dist, start_as_host, video_of as tile};
use plenary_e2e::client::Client;
use plenary_e2e::support::host;
use plenary_e2e::turn::Coturn;
use plenary_e2e::{DEADLINE, HarnessError, Result, TestServer};
use plenary_server::app::{AppState, Options};
use plenary_server::media::MediaConfig;
use plenary_server::media::turn::{IceSettings, Turn};
use plenary_server::tls::{Certificate, TlsFiles};
use plenary_shared::media::IcePolicy;
use std::time::{Duration, Instant};

const PEOPLE: [&str; 4] = ["Ada", "Bo", "Cy", "Di"];
/// Frames (at the fake camera's 30 fps) that show video is plainly playing.
const FRAMES: u64 = 10;

/// Waits until `page` decodes `FRAMES` more frames from each of `from`.
async fn decoding(page: &Page, from: &[&str]) -> Result<()> {
    let first = page.media_stats().await?;
    page.until_media("video from the others", 2 * DEADLINE, |now| {
        from.iter()
            .all(|name| now.frames(&tile(name)) >= first.frames(&tile(name)) + FRAMES)
    })
    .await?;
    Ok(())
}

/// The path the page's "Connection" detail names, once it names one.
async fn path_of(page: &Page) -> Result<String> {
    let start = Instant::now();
    loop {
        let path = page
            .eval(
                "const e = document.querySelector('[data-path]'); return e ? e.dataset.path : null;",
                vec![],
            )
            .await?;
        if let Some(path) = path.as_str() {
            return Ok(path.to_owned());
        }
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout("the Connection detail".into()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The app with `media` as its media settings.
async fn serving(media: MediaConfig) -> Result<TestServer> {
    TestServer::start_with(AppState::from_options(Options {
        media,
        ..Options::default()
    }))
    .await
}

/// Four people join a meeting on `server`; all see each other; every page's path is `path`.
/// Returns the last joiner's time from clicking Join to a first decoded frame.
async fn four_over(server: &TestServer, path: &str) -> Result<Duration> {
    let m = server.create_meeting().await?;
    let mut h = Client::connect(server.addr, &m.meeting).await?;
    h.join_on("Host", host(&m)).await?;
    let invite = format!("{}/m/{}", server.url(), m.meeting);
    let driver = Driver::start().await?;
    let mut pages = Vec::new();
    for name in &PEOPLE[..3] {
        pages.push(join_as(&driver, &invite, name, (900, 700)).await?);
    }
    let last = driver.page(900, 700).await?;
    last.goto(&invite).await?;
    last.fill("Your name", PEOPLE[3]).await?;
    last.until_media("the camera preview", DEADLINE, |s| {
        s.frames("Your camera") > 0
    })
    .await?;
    let clicked = Instant::now();
    last.click("Join").await?;
    last.until_media("a first frame", 2 * DEADLINE, |s| {
        PEOPLE[..3].iter().any(|n| s.frames(&tile(n)) > 0)
    })
    .await?;
    let join_to_frame = clicked.elapsed();
    pages.push(last);
    for (page, me) in pages.iter().zip(PEOPLE) {
        let others: Vec<&str> = PEOPLE.iter().filter(|n| **n != me).copied().collect();
        decoding(page, &others).await?;
        assert_eq!(path_of(page).await?, path, "{me}'s media path");
    }
    let shot = pages[0].screenshot(&format!("network-{path}")).await;
    if let Err(e) = shot {
        eprintln!("screenshot: {e}");
    }
    for page in pages {
        page.close().await?;
    }
    Ok(join_to_frame)
}

/// The three paths one after another: four browsers each are as many as this 2-core machine
/// runs at once without starving them (in parallel, first frames took over 20 s).
#[tokio::test]
async fn four_browsers_over_udp_then_ice_tcp_alone_then_a_coturn_relay() -> Result<()> {
    require_dist()?;
    let path = |name: &'static str| {
        move |e: HarnessError| HarnessError::Other(format!("over {name}: {e}"))
    };

    // Both candidates on offer, as by default: the browsers take UDP.
    let server = serving(MediaConfig {
        tcp_port: Some(0),
        ..MediaConfig::default()
    })
    .await?;
    let join = four_over(&server, "udp").await.map_err(path("UDP"))?;
    println!("join to first frame over UDP: {} ms", join.as_millis());
    server.shut_down().await;

    // Only the TCP candidate: media must take ICE-TCP.
    let server = serving(MediaConfig {
        tcp_port: Some(0),
        offer_udp: false,
        ..MediaConfig::default()
    })
    .await?;
    let join = four_over(&server, "tcp").await.map_err(path("ICE-TCP"))?;
    println!("join to first frame over ICE-TCP: {} ms", join.as_millis());
    server.shut_down().await;

    // Relay only, through a real coturn, with the credentials the server makes.
    let coturn = Coturn::start("browser-test-secret")?;
    let server = serving(MediaConfig {
        ice: IceSettings {
            turn: Some(Turn {
                urls: vec![coturn.url()],
                secret: coturn.secret.clone(),
                ttl: Duration::from_secs(600),
            }),
            policy: IcePolicy::Relay,
        },
        ..MediaConfig::default()
    })
    .await?;
    let join = four_over(&server, "relay").await.map_err(path("TURN"))?;
    println!("join to first frame through TURN: {} ms", join.as_millis());
    server.shut_down().await;
    Ok(())
}

#[tokio::test]
async fn with_no_path_the_page_says_the_network_blocks_media() -> Result<()> {
    require_dist()?;
    // Relay only, through a TURN server that is not there: the browser finds no path at all.
    let nobody = std::net::UdpSocket::bind("127.0.0.1:0")?;
    let dead = nobody.local_addr()?;
    drop(nobody);
    let media = MediaConfig {
        ice: IceSettings {
            turn: Some(Turn {
                urls: vec![format!("turn:{dead}?transport=udp")],
                secret: "unused".into(),
                ttl: Duration::from_secs(600),
            }),
            policy: IcePolicy::Relay,
        },
        ..MediaConfig::default()
    };
    let server = serving(media).await?;
    let m = server.create_meeting().await?;
    let invite = format!("{}/m/{}", server.url(), m.meeting);
    let driver = Driver::start().await?;
    let page = join_as(&driver, &invite, "Ada", (900, 700)).await?;
    // The page gives a connection 12 s to find a path.
    let start = Instant::now();
    loop {
        let blocked = page
            .eval(
                "const e = document.querySelector('[data-media-blocked]'); return e ? e.textContent : null;",
                vec![],
            )
            .await?;
        if let Some(text) = blocked.as_str() {
            assert!(
                text.contains("Your network blocks media; ask for a TURN server"),
                "{text}"
            );
            break;
        }
        if start.elapsed() > 4 * DEADLINE {
            return Err(HarnessError::Timeout(
                "the page to say media is blocked".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    page.screenshot("network-blocked").await?;
    // Still in the meeting, with no path named.
    page.until_role("status", "You are in the main session")
        .await?;
    let path = page
        .eval(
            "return document.querySelector('[data-path]') !== null;",
            vec![],
        )
        .await?;
    assert_eq!(path.as_bool(), Some(false), "no path is named");
    page.close().await?;
    server.shut_down().await;
    Ok(())
}

#[tokio::test]
async fn over_https_the_page_websocket_and_media_come_up() -> Result<()> {
    require_dist()?;
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()])
        .map_err(|e| HarnessError::Other(format!("certificate: {e}")))?;
    let dir = std::env::temp_dir().join(format!("plenary-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("cert.pem"), key.cert.pem())?;
    std::fs::write(dir.join("key.pem"), key.signing_key.serialize_pem())?;
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    let certificate = Certificate::new(
        files
            .load()
            .map_err(|e| HarnessError::Other(e.to_string()))?,
    );
    let server = TestServer::start_tls(AppState::new(), certificate).await?;
    let driver = Driver::start().await?;
    // The host starts the meeting from the home page over https://, so its WebSocket is wss://.
    let (host, invite) = start_as_host(&driver, &server.url(), "Host").await?;
    assert!(invite.starts_with("https://"), "{invite}");
    let ada = join_as(&driver, &invite, "Ada", (900, 700)).await?;
    let scheme = ada.eval("return location.protocol;", vec![]).await?;
    assert_eq!(scheme.as_str(), Some("https:"));
    // A secure context: the camera opened, and media flows both ways.
    decoding(&ada, &["Host"]).await?;
    decoding(&host, &["Ada"]).await?;
    assert_eq!(path_of(&ada).await?, "udp");
    ada.close().await?;
    host.close().await?;
    server.shut_down().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
