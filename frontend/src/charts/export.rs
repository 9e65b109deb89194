//! Saving a chart: the SVG as drawn, or a PNG rendered through a canvas at twice the size.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{
    Blob, BlobPropertyBag, HtmlAnchorElement, HtmlCanvasElement, HtmlImageElement, Url,
    XmlSerializer,
};

fn svg_text(id: &str) -> Option<String> {
    let element = document().get_element_by_id(id)?;
    XmlSerializer::new()
        .ok()?
        .serialize_to_string(&element)
        .ok()
}

fn save_url(url: &str, file_name: &str) {
    if let Some(anchor) = document()
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok())
    {
        anchor.set_href(url);
        anchor.set_download(file_name);
        anchor.click();
    }
}

fn blob_url(text: &str, content_type: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(content_type);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    Url::create_object_url_with_blob(&blob).ok()
}

fn svg_blob_url(text: &str) -> Option<String> {
    blob_url(text, "image/svg+xml;charset=utf-8")
}

/// Saves `text` as a file named `file_name` of `content_type` through the browser.
pub(crate) fn save_text(text: &str, content_type: &str, file_name: &str) {
    if let Some(url) = blob_url(text, content_type) {
        save_url(&url, file_name);
        let _ = Url::revoke_object_url(&url);
    }
}

fn export_svg(id: &str, file_name: &str) {
    if let Some(url) = svg_text(id).as_deref().and_then(svg_blob_url) {
        save_url(&url, &format!("{file_name}.svg"));
        let _ = Url::revoke_object_url(&url);
    }
}

fn export_png(id: &str, file_name: &str) {
    let Some(svg) = document().get_element_by_id(id) else {
        return;
    };
    let width = svg
        .get_attribute("width")
        .and_then(|w| w.parse::<f64>().ok())
        .unwrap_or(800.0);
    let height = svg
        .get_attribute("height")
        .and_then(|h| h.parse::<f64>().ok())
        .unwrap_or(400.0);
    let Some(url) = svg_text(id).as_deref().and_then(svg_blob_url) else {
        return;
    };
    let Ok(image) = HtmlImageElement::new() else {
        return;
    };
    let file_name = format!("{file_name}.png");
    let loaded = image.clone();
    let source = url.clone();
    let on_load = Closure::once_into_js(move || {
        let scale = 2.0;
        let Some(canvas) = document()
            .create_element("canvas")
            .ok()
            .and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
        else {
            return;
        };
        canvas.set_width((width * scale) as u32);
        canvas.set_height((height * scale) as u32);
        if let Some(context) = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
        {
            let _ = context.scale(scale, scale);
            let _ = context.draw_image_with_html_image_element(&loaded, 0.0, 0.0);
            if let Ok(data) = canvas.to_data_url_with_type("image/png") {
                save_url(&data, &file_name);
            }
        }
        let _ = Url::revoke_object_url(&source);
    });
    image.set_onload(Some(on_load.unchecked_ref()));
    image.set_src(&url);
}

/// "SVG" and "PNG" buttons that save the chart with element id `target`.
#[component]
pub(crate) fn ExportButtons(target: &'static str, file_name: String) -> impl IntoView {
    let png_name = file_name.clone();
    view! {
        <span class="export">
            "Save as "
            <button class="small" data-export="svg" on:click=move |_| export_svg(target, &file_name)>"SVG"</button>
            <button class="small" data-export="png" on:click=move |_| export_png(target, &png_name)>"PNG"</button>
        </span>
    }
}
