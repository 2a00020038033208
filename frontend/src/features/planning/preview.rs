//! The CSV preview: every good row in a table and every bad line with its reason, with the
//! choice to use the rooms (only when clean), use just the good rows, or discard the file.

use crate::app::{tr, use_lang};
use crate::i18n::errors;
use leptos::prelude::*;
use plenary_shared::meeting::plan::Plan;
use plenary_shared::plan_csv::CsvImport;

/// The preview of an imported file. `accept` receives the plan to put in the form.
pub fn preview(
    found: CsvImport,
    accept: impl Fn(Plan) + Copy + 'static,
    discard: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let lang = use_lang();
    let clean = found.is_clean();
    let has_rows = !found.rows.is_empty();
    let plan = StoredValue::new(found.to_plan());
    let rows = found.rows.clone();
    let errors = found.errors.clone();
    view! {
        <section class="preview" aria-label=tr(|t| t.preview)>
            <table>
                <caption>{tr(|t| t.preview)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr(|t| t.col_room)}</th>
                        <th scope="col">{tr(|t| t.col_name)}</th>
                        <th scope="col">{tr(|t| t.col_email)}</th>
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
                        <h3>{tr(|t| t.csv_problems)}</h3>
                        <ul class="errors" aria-label=tr(|t| t.csv_problems)>
                            {errors
                                .into_iter()
                                .map(|e| {
                                    view! {
                                        <li>{tr(|t| t.line)} " " {e.line} ": " {move || errors::row_problem(&e.problem, lang())}</li>
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
                                {tr(|t| t.use_rooms)}
                            </button>
                        }
                    })}
                {(!clean && has_rows)
                    .then(|| {
                        view! {
                            <button type="button" on:click=move |_| accept(plan.get_value())>
                                {tr(|t| t.use_good_rows)}
                            </button>
                        }
                    })}
                <button type="button" class="secondary" on:click=move |_| discard()>
                    {tr(|t| t.discard)}
                </button>
            </div>
        </section>
    }
}
