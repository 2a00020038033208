//! Raised hands in real headless Chromium, through accessible names only: two participants
//! raise their hands, Cy first and then Bo; the host's Participants list puts them first, in
//! that order, numbered (`Hand 1`, `Hand 2`); the host lowers Cy's (answered) and Bo moves up to first; Bo lowers
//! his own and his button says `Raise hand` again.

use plenary_e2e::browser::{Driver, join_as, require_dist, start_as_host};
use plenary_e2e::{Result, TestServer};

#[tokio::test]
async fn raised_hands_reach_the_host_in_the_order_they_went_up() -> Result<()> {
    require_dist()?;
    let server = TestServer::start().await?;
    let driver = Driver::start().await?;
    let (host, invite) = start_as_host(&driver, &server.url(), "Hana").await?;
    let bo = join_as(&driver, &invite, "Bo", (900, 700)).await?;
    let cy = join_as(&driver, &invite, "Cy", (900, 700)).await?;
    host.until_list("Participants", "three people", |items| items.len() == 3)
        .await?;
    cy.click("Raise hand").await?;
    host.until_list("Participants", "Cy's hand first", |items| {
        items
            .first()
            .is_some_and(|i| i.starts_with("Cy") && i.contains("Hand 1"))
    })
    .await?;
    bo.click("Raise hand").await?;
    host.until_list("Participants", "Bo's hand second", |items| {
        items.len() == 3
            && items[0].starts_with("Cy")
            && items[0].contains("Hand 1")
            && items[1].starts_with("Bo")
            && items[1].contains("Hand 2")
            && !items[2].contains("Hand ")
    })
    .await?;
    host.screenshot("hands").await?;
    // Everyone sees the queue, and Bo's own button now lowers it.
    cy.open_panel("Participants").await?;
    cy.until_list("Participants", "the queue on Cy's page", |items| {
        items
            .get(1)
            .is_some_and(|i| i.starts_with("Bo") && i.contains("Hand 2"))
    })
    .await?;
    assert!(bo.has_button("Lower hand").await?);
    // The host answers Cy and lowers her hand: Bo is first now.
    host.click("Lower hand Cy").await?;
    host.until_list(
        "Participants",
        "Bo first after Cy's hand came down",
        |items| {
            items
                .first()
                .is_some_and(|i| i.starts_with("Bo") && i.contains("Hand 1"))
                && items.iter().filter(|i| i.contains("Hand ")).count() == 1
        },
    )
    .await?;
    cy.until_list("Participants", "Cy's hand down on her page", |items| {
        items
            .iter()
            .any(|i| i.starts_with("Cy") && !i.contains("Hand "))
    })
    .await?;
    assert!(cy.has_button("Raise hand").await?);
    bo.click("Lower hand").await?;
    host.until_list("Participants", "no hands", |items| {
        items.len() == 3 && items.iter().all(|i| !i.contains("Hand "))
    })
    .await?;
    assert!(bo.has_button("Raise hand").await?);
    for page in [host, bo, cy] {
        page.close().await?;
    }
    Ok(())
}
