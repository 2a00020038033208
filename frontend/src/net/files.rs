//! Reading a file the person picked in an `<input type="file">`, as raw bytes (so the CSV reader
//! can tell UTF-8 from anything else itself).

use super::js_error;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;

/// The bytes of the first file chosen in `input`, or `None` if none is.
pub async fn first_file_bytes(input: &HtmlInputElement) -> Result<Option<Vec<u8>>, String> {
    let Some(file) = input.files().and_then(|list| list.get(0)) else {
        return Ok(None);
    };
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(js_error)?;
    let buffer: js_sys::ArrayBuffer = buffer.dyn_into().map_err(js_error)?;
    Ok(Some(js_sys::Uint8Array::new(&buffer).to_vec()))
}
