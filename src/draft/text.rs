//! A report's text as extracted from a PDF, cleaned into sections of sentences that keep their original place.
//!
//! Extracted text is messy: words hyphenated across lines, boxes (a recommendation's conclusion) and footnotes
//! placed in the middle of a sentence that goes on on the next page, footnote letters and numbers glued to words,
//! running headers and page numbers. This module joins and cleans before anything is matched, and every sentence
//! keeps the line of the original text it starts on.
//!
//! Pages: a form feed (pdftotext) starts a page; in text without form feeds, a line indented by one space after
//! unindented lines is taken as the first line of a page (the layout of the seed's extraction), where boxes and
//! footnotes end.

use std::sync::LazyLock;

use regex::Regex;

/// Where a text stands in the report: its recommendation (if any), its numbered section and its sub-heading.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// The recommendation's number, inside "N Aanbeveling N" (or "Recommendation N").
    pub recommendation: Option<u32>,
    /// The numbered section and its heading: `1 Aanbeveling 1`, `7.2.1 Onvoldoende juridische basis ...`.
    pub section: String,
    /// The sub-heading inside it: `Reactie college 2013`, `Stand van zaken november 2017`; empty if none.
    pub sub: String,
    /// The last state-of-affairs heading of the recommendation before this place (`Stand van zaken november
    /// 2017`), also for its conclusion box; empty if none.
    pub stand: String,
}

impl Place {
    /// The locator as written in a draft's source: `1 Aanbeveling 1, Stand van zaken november 2017`.
    pub fn locator(&self) -> String {
        match (self.section.is_empty(), self.sub.is_empty()) {
            (true, true) => String::new(),
            (false, true) => self.section.clone(),
            (true, false) => self.sub.clone(),
            (false, false) => format!("{}, {}", self.section, self.sub),
        }
    }
}

/// What a block of text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The running text of a section.
    Body,
    /// A list item (a bullet).
    Item,
    /// A recommendation's conclusion box: "Conclusie aanbeveling N: ...".
    Conclusion(u32),
    /// A footnote, by its letter or number.
    Footnote,
    /// The words of a recommendation under its heading.
    Recommendation(u32),
}

/// One sentence of the cleaned text.
#[derive(Clone, Debug, PartialEq)]
pub struct Sentence {
    /// The sentence, joined across lines and cleaned.
    pub text: String,
    /// The 1-based line of the original text it starts on.
    pub line: usize,
    /// The page it starts on, when the text marks pages with form feeds (1-based).
    pub page: Option<usize>,
    /// Where it stands.
    pub place: Place,
    /// What block it belongs to.
    pub kind: Kind,
}

/// A block of lines of one kind at one place, before it is split into sentences.
struct Block {
    kind: Kind,
    place: Place,
    /// The joined text and, for each original line, the byte offset it starts at and its line number.
    text: String,
    starts: Vec<(usize, usize, Option<usize>)>,
}

impl Block {
    fn new(kind: Kind, place: &Place) -> Block {
        Block { kind, place: place.clone(), text: String::new(), starts: Vec::new() }
    }

    /// Adds a line of `page`, joining a word hyphenated across the line end; footnote marks glued to its words
    /// are removed first.
    fn push(&mut self, line: &str, number: usize, page: Option<usize>) {
        let unglued = GLUED_LETTER.replace_all(line.trim(), "$1");
        let unglued = GLUED_AFTER.replace_all(&unglued, "$1$2");
        let line = unglued.trim();
        if line.is_empty() {
            return;
        }
        if self.text.ends_with('-') && line.starts_with(|c: char| c.is_lowercase() || c == ')') {
            // The word's last letters (at most 40: enough to tell a prefix or an acronym, and no rescan of a long
            // run of joined fragments).
            let before = self.text[..self.text.len() - 1].chars().rev().take(40).take_while(|c| c.is_alphanumeric());
            let fragment: String = before.collect::<Vec<_>>().into_iter().rev().collect();
            if !keeps_hyphen(&fragment, line) {
                self.text.pop();
            }
        } else if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.starts.push((self.text.len(), number, page));
        self.text.push_str(line);
    }

    /// The original line and page of the text at `offset`.
    fn line_at(&self, offset: usize) -> (usize, Option<usize>) {
        let i = self.starts.partition_point(|(at, ..)| *at <= offset);
        self.starts.get(i.wrapping_sub(1)).map_or((0, None), |(_, n, p)| (*n, *p))
    }
}

/// Whether the hyphen at a line's end belongs to the word (`ex-gedetineerden`, `informatie-uitwisseling`,
/// `Top600-aanpak`) rather than to the line break (`schuld-hulpverlening`).
fn keeps_hyphen(fragment: &str, next: &str) -> bool {
    const PREFIXES: [&str; 12] =
        ["ex", "re", "kort", "lang", "oud", "niet", "co", "anti", "non", "semi", "vice", "pre"];
    let lower = fragment.to_lowercase();
    if next.starts_with(')') || PREFIXES.contains(&lower.as_str()) {
        return true;
    }
    // An acronym or a code before the hyphen (DPAN-, Top600-).
    if fragment.chars().any(|c| c.is_ascii_digit()) || (fragment.len() > 1 && fragment.chars().all(char::is_uppercase))
    {
        return true;
    }
    // Dutch writes a hyphen where two vowels would merge into one sound (informatie-uitwisseling, zee-egel).
    let vowel = |c: char| "aeiouy".contains(c.to_ascii_lowercase());
    matches!((lower.chars().last(), next.chars().next()), (Some(a), Some(b)) if vowel(a) && vowel(b))
}

static REC_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:(\d{1,3})\s+)?(?:Aanbeveling|Recommendation)\s+(\d{1,3})\s*:?\s*$").unwrap());
static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2}(?:\.\d{1,2})*)\s+(\p{Lu}[^.;:]{2,110})$").unwrap());
static CONCLUSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:Conclusie aanbeveling|Conclusion(?: on)? recommendation)\s+(\d{1,3})\s*:").unwrap()
});
static FOOTNOTE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-h]\s+\p{Lu}").unwrap());
static SUB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(Toelichting|Reactie (?:van het )?college(?: \d{4})?|Bestuurlijke reactie(?: \d{4})?|Nawoord(?: (?:van de )?rekenkamer)?(?: \d{4})?|Stand van zaken.*|Stand per .*|Explanation|Response(?: of the executive)?(?: \d{4})?|State of affairs.*|Status(?: as of| per)? \p{L}*\s*\d{4}|Afterword(?: \d{4})?)\s*$",
    )
    .unwrap()
});
static RUNNING_HEADER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[\p{Lu}\d\s\-–,.:]{12,}$").unwrap());

/// The sentences of a report's text, in reading order (boxes and footnotes where they were placed).
pub fn sentences(text: &str) -> Vec<Sentence> {
    let form_feeds = text.contains('\u{c}');
    let mut blocks: Vec<Block> = Vec::new();
    let mut place = Place::default();
    // The main flow goes on across boxes and footnotes placed inside it.
    let mut body = Block::new(Kind::Body, &place);
    let mut aside: Option<Block> = None;
    let mut page = if form_feeds { Some(1) } else { None };
    let mut chapter: u32 = 0;
    let mut in_recommendation_words: Option<u32> = None;
    let mut indented_before = true;
    let flush = |b: &mut Block, blocks: &mut Vec<Block>, place: &Place, kind: Kind| {
        let done = std::mem::replace(b, Block::new(kind, place));
        if !done.text.is_empty() {
            blocks.push(done);
        }
    };
    for (n, raw) in text.split('\n').enumerate() {
        let number = n + 1;
        let mut raw = raw.trim_end_matches('\r');
        if let Some(rest) = raw.rsplit_once('\u{c}') {
            page = page.map(|p| p + rest.0.matches('\u{c}').count() + 1);
            raw = rest.1;
            if let Some(a) = aside.take() {
                blocks.push(a);
            }
        }
        // Footnote marks glued to words go first, so that they do not decide what a line is.
        let unglued = GLUED_LETTER.replace_all(raw.trim(), "$1");
        let unglued = GLUED_AFTER.replace_all(&unglued, "$1$2");
        let line = unglued.trim();
        if line.is_empty() {
            continue;
        }
        // A new page: where boxes and footnotes end and the main text goes on.
        let indented = raw.starts_with(' ') && !raw.starts_with("  ");
        let page_start = !form_feeds && indented && !indented_before;
        indented_before = indented;
        if page_start {
            if let Some(a) = aside.take() {
                blocks.push(a);
            }
        }
        let heading_words = REC_HEADING.is_match(line) || SUB.is_match(line) || CONCLUSION.is_match(line);
        if !heading_words
            && RUNNING_HEADER.is_match(line)
            && line.chars().any(char::is_alphabetic)
            && line.split_whitespace().count() >= 3
        {
            continue;
        }
        if line.chars().all(|c| c.is_ascii_digit()) && line.len() <= 3 {
            continue;
        }
        // Headings, which end any box or footnote.
        if let Some(c) = REC_HEADING.captures(line) {
            let b = c[2].parse::<u32>().unwrap_or(0);
            // "3 Aanbeveling 3" or "Aanbeveling 3"; "2 Aanbeveling 5" is a list item, not a heading.
            let a = c.get(1).map_or(b, |a| a.as_str().parse::<u32>().unwrap_or(0));
            if a == b && b > 0 {
                if let Some(x) = aside.take() {
                    blocks.push(x);
                }
                place = Place {
                    recommendation: Some(a),
                    section: line.split_whitespace().collect::<Vec<_>>().join(" "),
                    sub: String::new(),
                    stand: String::new(),
                };
                chapter = a;
                flush(&mut body, &mut blocks, &place, Kind::Recommendation(a));
                in_recommendation_words = Some(a);
                continue;
            }
        }
        if let Some(c) = SUB.captures(line) {
            if let Some(x) = aside.take() {
                blocks.push(x);
            }
            in_recommendation_words = None;
            place.sub = c[1].split_whitespace().collect::<Vec<_>>().join(" ");
            let lower = place.sub.to_lowercase();
            if ["stand ", "state of affairs", "status"].iter().any(|w| lower.starts_with(w)) {
                place.stand = place.sub.clone();
            }
            flush(&mut body, &mut blocks, &place, Kind::Body);
            continue;
        }
        if let Some(c) = NUMBERED.captures(line) {
            let number_text = &c[1];
            let top: u32 = number_text.split('.').next().and_then(|t| t.parse().ok()).unwrap_or(0);
            // A chapter number above the last one, or a sub-section of the chapter we are in; else a list item.
            let heading = if number_text.contains('.') { top >= chapter && top > 0 } else { top > chapter };
            if heading && !line.ends_with(';') && !line.ends_with(',') {
                if let Some(x) = aside.take() {
                    blocks.push(x);
                }
                in_recommendation_words = None;
                chapter = top;
                place = Place {
                    recommendation: None,
                    section: line.split_whitespace().collect::<Vec<_>>().join(" "),
                    sub: String::new(),
                    stand: String::new(),
                };
                flush(&mut body, &mut blocks, &place, Kind::Body);
                continue;
            }
        }
        if let Some(c) = CONCLUSION.captures(line) {
            let r = c[1].parse::<u32>().unwrap_or(0);
            if let Some(x) = aside.take() {
                blocks.push(x);
            }
            in_recommendation_words = None;
            let mut at = place.clone();
            at.sub = format!("Conclusie aanbeveling {r}");
            if at.recommendation != Some(r) {
                at.recommendation = Some(r);
                at.section = format!("{r} Aanbeveling {r}");
            }
            // The verdict line is a sentence of its own; the box's text follows it.
            let mut head = Block::new(Kind::Conclusion(r), &at);
            head.push(line, number, page);
            blocks.push(head);
            aside = Some(Block::new(Kind::Conclusion(r), &at));
            continue;
        }
        if FOOTNOTE.is_match(line) {
            if let Some(x) = aside.take() {
                blocks.push(x);
            }
            let mut at = place.clone();
            at.sub = format!("voetnoot {}", &line[..1]);
            let mut b = Block::new(Kind::Footnote, &at);
            b.push(&line[1..], number, page);
            aside = Some(b);
            continue;
        }
        if let Some(a) = aside.as_mut() {
            a.push(line, number, page);
            continue;
        }
        if let Some(r) = in_recommendation_words {
            if body.kind != Kind::Recommendation(r) {
                flush(&mut body, &mut blocks, &place, Kind::Recommendation(r));
            }
            body.push(line, number, page);
            continue;
        }
        // Bullets start list items; a short line without final punctuation between sentences is a sub-heading
        // (or a table row) and ends the paragraph.
        let bullet = line.starts_with(['\u{f0b7}', '•', '▪', '–', '·']);
        if bullet {
            flush(&mut body, &mut blocks, &place, Kind::Item);
            body.push(line.trim_start_matches(['\u{f0b7}', '•', '▪', '–', '·']), number, page);
            continue;
        }
        let ends_sentence = body.text.is_empty() || body.text.ends_with(['.', ':', '”', '"', ';', '?', '!']);
        // A short line between sentences, with no sentence inside it and no bracket or quote at its end: a
        // sub-heading (or a table row, which holds figures).
        let looks_like_heading = line.chars().count() < 70
            && line.starts_with(char::is_uppercase)
            && !line.ends_with(['.', ',', ';', ':', '-', ')', ']', '”', '"', '’'])
            && !line.contains(". ")
            && ends_sentence;
        if looks_like_heading {
            flush(&mut body, &mut blocks, &place, Kind::Body);
            // A sub-heading of a numbered section: kept in the locator, not in the text.
            if line.chars().any(char::is_alphabetic) && !line.chars().any(|c| c.is_ascii_digit()) {
                place.sub = line.to_owned();
                body.place = place.clone();
            }
            continue;
        }
        let item_ends = body.kind == Kind::Item && ends_sentence && !line.starts_with(char::is_lowercase);
        if item_ends || (body.kind != Kind::Body && body.kind != Kind::Item) {
            flush(&mut body, &mut blocks, &place, Kind::Body);
        }
        body.push(line, number, page);
    }
    if let Some(a) = aside.take() {
        blocks.push(a);
    }
    if !body.text.is_empty() {
        blocks.push(body);
    }
    blocks.iter().flat_map(split).collect()
}

static GLUED_LETTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b[a-h](\p{Lu}\p{Ll})").unwrap());
static GLUED_AFTER: LazyLock<Regex> =
    // A footnote number or letter after a word's final period, bracket or quote (`KSZ.2`, `keten”.6`, `(2009)d`);
    // not the parts of a section number (`7.1.1`).
    LazyLock::new(|| Regex::new(r"((?:\p{L}|[)”’])\.|[)”’])(?:\d{1,2}|[a-h])(\s|$)").unwrap());
static MARK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*\(•\)|\(\s*\)").unwrap());
static SPACES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s{2,}").unwrap());

/// Cleans a joined text: the verdict box's mark `(•)`, runs of spaces. (Footnote letters and numbers glued to
/// words, `aAnderzijds`, `keten”.6`, `(2009)d`, went as each line was added.)
fn clean(text: &str) -> String {
    let t = MARK.replace_all(text, "");
    SPACES.replace_all(t.trim(), " ").into_owned()
}

/// Splits a block into sentences at `. `, `? `, `! ` before a capital, a digit or a quote, not after an
/// abbreviation (`c.q.`, `t.a.v.`, `e.d.`, an initial).
fn split(block: &Block) -> Vec<Sentence> {
    let text = &block.text;
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '?' | '!' | ';') {
            continue;
        }
        let Some(&(_, next)) = chars.get(k + 1) else { continue };
        if !next.is_whitespace() {
            continue;
        }
        let after = chars.get(k + 2).map(|(_, c)| *c);
        let opens = after.is_some_and(|a| a.is_uppercase() || a.is_ascii_digit() || "“‘\"'(".contains(a));
        if !opens {
            continue;
        }
        if c == '.' {
            let word: String = text[start..i]
                .chars()
                .rev()
                .take_while(|c| !c.is_whitespace())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let abbreviation =
                word.contains('.') || (word.chars().count() <= 2 && word.chars().all(char::is_alphabetic));
            if abbreviation
                || ["dr", "drs", "mr", "ir", "ca", "nr", "blz", "p", "pp", "art", "resp", "incl", "excl", "jl", "jo"]
                    .contains(&word.to_lowercase().as_str())
            {
                continue;
            }
        }
        push_sentence(block, &mut out, start, i + c.len_utf8());
        start = i + c.len_utf8();
    }
    push_sentence(block, &mut out, start, text.len());
    out
}

fn push_sentence(block: &Block, out: &mut Vec<Sentence>, from: usize, to: usize) {
    let raw = &block.text[from..to];
    let lead = raw.len() - raw.trim_start().len();
    let cleaned = clean(raw);
    if cleaned.chars().filter(|c| c.is_alphabetic()).count() < 3 {
        return;
    }
    let (line, page) = block.line_at(from + lead);
    out.push(Sentence { text: cleaned, line, page, place: block.place.clone(), kind: block.kind });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_hyphenated_across_lines_are_joined_and_real_hyphens_kept() {
        let s = sentences("1 Aanbeveling 1\nZorg voor een centraal overzicht van lopende schuld-\n\nhulpverleningstrajecten\nToelichting\nDe (ex-\n)gedetineerden en ex-\ngedetineerden, informatie-\nuitwisseling en de DPAN-\ngegevens. Ook wor-\nden kort-\ngedetineerden bereikt.\n");
        assert_eq!(s[0].text, "Zorg voor een centraal overzicht van lopende schuldhulpverleningstrajecten");
        assert_eq!(s[0].kind, Kind::Recommendation(1));
        assert_eq!(
            s[1].text,
            "De (ex-)gedetineerden en ex-gedetineerden, informatie-uitwisseling en de DPAN-gegevens."
        );
        assert_eq!(s[1].place.locator(), "1 Aanbeveling 1, Toelichting");
        assert_eq!(s[1].line, 6);
        assert_eq!(s[2].text, "Ook worden kort-gedetineerden bereikt.");
        assert_eq!(s[2].line, 10);
    }

    #[test]
    fn a_box_placed_inside_a_sentence_is_set_apart_and_the_sentence_joined_across_it() {
        let text = "2 Aanbeveling 2\nOnderzoek het\nStand van zaken november 2017\nHet koppelen bleek echter pro-\nConclusie aanbeveling 2: Niet uitgevoerd (•) \nDe aanbeveling is niet opgevolgd. \n blematisch. Het college heeft in 2014 onderzoek gedaan.\n";
        let s = sentences(text);
        let texts: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Onderzoek het",
                "Conclusie aanbeveling 2: Niet uitgevoerd",
                "De aanbeveling is niet opgevolgd.",
                "Het koppelen bleek echter problematisch.",
                "Het college heeft in 2014 onderzoek gedaan."
            ]
        );
        assert_eq!(s[1].kind, Kind::Conclusion(2));
        assert_eq!(s[3].place.locator(), "2 Aanbeveling 2, Stand van zaken november 2017");
        assert_eq!(s[3].line, 4, "the sentence keeps the line it starts on");
    }

    #[test]
    fn footnote_marks_glued_to_words_are_removed() {
        let s = sentences(
            "7.1 Raad\nEerst dit. aAnderzijds speelt ook de keten”.6 mee en het model (2009)d en KSZ.2 Daarna.\n",
        );
        let texts: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Eerst dit.", "Anderzijds speelt ook de keten”. mee en het model (2009) en KSZ.", "Daarna."]
        );
    }

    #[test]
    fn form_feeds_give_pages_and_running_headers_are_dropped() {
        let s = sentences("7 Inleiding\nEen zin op de eerste pagina.\nNAZORG AAN GEDETINEERDEN - OPVOLGINGSONDERZOEK\n17\n\u{c}Een zin op de tweede.\n");
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].page, s[1].page), (Some(1), Some(2)));
        assert_eq!(s[1].text, "Een zin op de tweede.");
    }
}
