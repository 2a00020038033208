//! The CSV preview: every good row in a table and every bad line with its reason, with the
//! choice to use the rooms (only when clean), use just the good rows, or discard the file.

use crate::app::use_texts;
use leptos::prelude::*;
use plenary_shared::meeting::plan::Plan;
use plenary_shared::plan_csv::CsvImport;

/// The preview of an imported file. `accept` receives the plan to put in the form.
pub fn preview(
    found: CsvImport,
    accept: impl Fn(Plan) + Copy + 'static,
    discard: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let t = use_texts();
    let clean = found.is_clean();
    let has_rows = !found.rows.is_empty();
    let plan = StoredValue::new(found.to_plan());
    let rows = found.rows.clone();
    let errors = found.errors.clone();
    view! {
        <section class="preview" aria-label=move || t().preview>
            <table>
                <caption>{move || t().preview}</caption>
                <thead>
                    <tr>
                        <th scope="col">{move || t().col_room}</th>
                        <th scope="col">{move || t().col_name}</th>
                        <th scope="col">{move || t().col_email}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <td>{r.room}</td>
                                    <td>{r.name.unwrap_or_default()}</td>
                                    <td>{r.email.unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            {(!errors.is_empty())
                .then(|| {
                    view! {
                        <h3>{move || t().csv_problems}</h3>
                        <ul class="errors" aria-label=move || t().csv_problems>
                            {errors
                                .into_iter()
                                .map(|e| {
                                    view! {
                                        <li>{move || t().line} " " {e.line} ": " {e.problem.to_string()}</li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            <div class="row">
                {(clean && has_rows)
                    .then(|| {
                        view! {
                            <button type="button" on:click=move |_| accept(plan.get_value())>
                                {move || t().use_rooms}
                            </button>
                        }
                    })}
                {(!clean && has_rows)
                    .then(|| {
                        view! {
                            <button type="button" on:click=move |_| accept(plan.get_value())>
                                {move || t().use_good_rows}
                            </button>
                        }
                    })}
                <button type="button" class="secondary" on:click=move |_| discard()>
                    {move || t().discard}
                </button>
            </div>
        </section>
    }
}
