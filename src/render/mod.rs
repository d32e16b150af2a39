//! Projections written for people and spreadsheets: labels in English or Dutch, Markdown, CSV, and a
//! self-contained HTML page with an SVG timeline chart. Pure functions from projections to text.

pub mod csv;
pub mod html;
pub mod labels;
pub mod markdown;

pub use labels::{word, Lang, Word};
