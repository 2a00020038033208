//! Entry point of the browser app: installs the panic hook and mounts the root component.

mod app;
mod features;
mod i18n;
mod media;
mod net;
mod route;
mod store;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
