//! File contents: realistic source, configs, minified and long-line files,
//! binary blobs, and large logs, built from parts that successive versions
//! share.
//!
//! A [`Content`] is a sequence of [`Part`]s. A text part is usually one line
//! (ending in `\n`); a minified file's parts are statement fragments on one
//! line; a binary file's parts are byte chunks. Edits replace, insert or
//! delete parts, so successive versions of a file share most bytes and git's
//! packer stores them as delta chains. A part may carry a planted secret or
//! decoy ([`Part::plant`]): edits never alter such a part, and materialising
//! the content reports where each plant's value landed.
//!
//! Vocabulary never uses words that secret rules treat as context (`key`,
//! `token`, `secret`, `password`, `auth`…), so generated filler cannot produce
//! a finding: every finding in a corpus comes from a planted value.

use crate::rng::Rng;
use std::rc::Rc;

/// Index into the generator's table of planted values.
pub type PlantId = u32;

/// What kind of file a path holds; decides its name, filler and edit style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    Rust,
    Python,
    JavaScript,
    Go,
    Java,
    Yaml,
    Toml,
    Json,
    Env,
    Markdown,
    MinifiedJs,
    Csv,
    Binary,
    Latin1,
    Log,
}

impl FileKind {
    pub fn all() -> &'static [FileKind] {
        &[
            FileKind::Rust,
            FileKind::Python,
            FileKind::JavaScript,
            FileKind::Go,
            FileKind::Java,
            FileKind::Yaml,
            FileKind::Toml,
            FileKind::Json,
            FileKind::Env,
            FileKind::Markdown,
            FileKind::MinifiedJs,
            FileKind::Csv,
            FileKind::Binary,
            FileKind::Latin1,
            FileKind::Log,
        ]
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Rust => "rs",
            FileKind::Python => "py",
            FileKind::JavaScript => "js",
            FileKind::Go => "go",
            FileKind::Java => "java",
            FileKind::Yaml => "yaml",
            FileKind::Toml => "toml",
            FileKind::Json => "json",
            FileKind::Env => "env",
            FileKind::Markdown => "md",
            FileKind::MinifiedJs => "min.js",
            FileKind::Csv => "csv",
            FileKind::Binary => "bin",
            FileKind::Latin1 => "dat",
            FileKind::Log => "log",
        }
    }

    /// Whether git (and the scanner's default heuristic: a NUL byte in the
    /// first 8000 bytes) treats this kind as binary.
    pub fn is_binary(self) -> bool {
        match self {
            FileKind::Binary => true,
            FileKind::Rust
            | FileKind::Python
            | FileKind::JavaScript
            | FileKind::Go
            | FileKind::Java
            | FileKind::Yaml
            | FileKind::Toml
            | FileKind::Json
            | FileKind::Env
            | FileKind::Markdown
            | FileKind::MinifiedJs
            | FileKind::Csv
            | FileKind::Latin1
            | FileKind::Log => false,
        }
    }

    /// Kinds whose text can hold a planted line naturally.
    pub fn plantable(self) -> bool {
        !matches!(self, FileKind::MinifiedJs | FileKind::Csv)
    }

    /// Draws a kind for an ordinary new file, weighted like a polyglot repo.
    pub fn draw(rng: &mut Rng) -> FileKind {
        const TABLE: &[(FileKind, u64)] = &[
            (FileKind::Rust, 18),
            (FileKind::Python, 16),
            (FileKind::JavaScript, 14),
            (FileKind::Go, 12),
            (FileKind::Java, 10),
            (FileKind::Yaml, 6),
            (FileKind::Toml, 4),
            (FileKind::Json, 6),
            (FileKind::Env, 2),
            (FileKind::Markdown, 6),
            (FileKind::MinifiedJs, 2),
            (FileKind::Csv, 1),
            (FileKind::Binary, 2),
            (FileKind::Latin1, 1),
        ];
        let total: u64 = TABLE.iter().map(|(_, w)| w).sum();
        let mut x = rng.below(total);
        for &(kind, w) in TABLE {
            if x < w {
                return kind;
            }
            x -= w;
        }
        FileKind::Rust
    }
}

/// A piece of a file: a line, a fragment, or a byte chunk.
#[derive(Clone, Debug)]
pub struct Part {
    pub bytes: Rc<[u8]>,
    pub plant: Option<PlantId>,
}

impl Part {
    fn text(s: String) -> Part {
        Part {
            bytes: Rc::from(s.into_bytes()),
            plant: None,
        }
    }
}

/// One version of a file's content.
#[derive(Clone, Debug)]
pub struct Content {
    pub kind: FileKind,
    pub parts: Vec<Part>,
}

/// Where a planted value landed inside a materialised blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlantSite {
    pub plant: PlantId,
    /// Byte offset of the part holding the plant's text.
    pub part_offset: usize,
}

impl Content {
    /// A new file of `kind` with roughly `target` bytes of filler.
    pub fn generate(kind: FileKind, rng: &mut Rng, target: usize) -> Content {
        let mut parts = Vec::new();
        let mut size = 0;
        while size < target {
            let p = filler_part(kind, rng);
            size += p.bytes.len();
            parts.push(p);
        }
        Content { kind, parts }
    }

    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.bytes.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Concatenates the parts into `out` (cleared first) and reports plants.
    pub fn materialize(&self, out: &mut Vec<u8>, sites: &mut Vec<PlantSite>) {
        out.clear();
        sites.clear();
        for p in &self.parts {
            if let Some(plant) = p.plant {
                sites.push(PlantSite {
                    plant,
                    part_offset: out.len(),
                });
            }
            out.extend_from_slice(&p.bytes);
        }
    }

    /// A new version with 1–3 small edits; planted parts are never touched.
    pub fn edit(&self, rng: &mut Rng) -> Content {
        let mut next = self.clone();
        let edits = rng.range(1, 3);
        for _ in 0..edits {
            let n = next.parts.len();
            let at = if n == 0 { 0 } else { rng.index(n) };
            let op = rng.below(10);
            if n == 0 || op < 3 || self.kind == FileKind::Log {
                // Logs only grow, like real ones; others get inserts too.
                let at = if self.kind == FileKind::Log { n } else { at };
                let count = rng.range(1, 4);
                for i in 0..count {
                    next.parts
                        .insert(at + i as usize, filler_part(self.kind, rng));
                }
            } else if op < 8 {
                if next.parts[at].plant.is_none() {
                    next.parts[at] = filler_part(self.kind, rng);
                } else {
                    next.parts.insert(at, filler_part(self.kind, rng));
                }
            } else if next.parts[at].plant.is_none() && n > 1 {
                next.parts.remove(at);
            } else {
                next.parts.push(filler_part(self.kind, rng));
            }
        }
        next
    }

    /// Inserts planted text as its own part at a random position (binary
    /// files: between chunks, which keeps it intact as bytes).
    pub fn plant(&mut self, rng: &mut Rng, plant: PlantId, text: &str) {
        let at = if self.parts.is_empty() {
            0
        } else {
            rng.index(self.parts.len() + 1)
        };
        self.parts.insert(
            at,
            Part {
                bytes: Rc::from(text.as_bytes()),
                plant: Some(plant),
            },
        );
    }

    /// Inserts planted text so that the value (at `value_offset` within
    /// `text`, `value_len` long) straddles byte `boundary`; filler is added
    /// before it as needed. Used for the ≥ 1 MiB boundary case.
    pub fn plant_straddling(
        &mut self,
        plant: PlantId,
        text: &str,
        value_offset: usize,
        value_len: usize,
        boundary: usize,
    ) {
        let want_line_start = boundary - value_len / 2 - value_offset;
        let mut offset = 0;
        let mut at = 0;
        while at < self.parts.len() && offset + self.parts[at].bytes.len() <= want_line_start {
            offset += self.parts[at].bytes.len();
            at += 1;
        }
        // Drop what remains of the part that would overlap and pad exactly.
        self.parts.truncate(at);
        let pad = want_line_start - offset;
        if pad > 0 {
            let mut line = vec![b'#'; pad];
            line[pad - 1] = b'\n';
            if pad > 2 {
                line[1] = b' ';
            }
            self.parts.push(Part {
                bytes: Rc::from(line),
                plant: None,
            });
        }
        self.parts.push(Part {
            bytes: Rc::from(text.as_bytes()),
            plant: Some(plant),
        });
    }

    /// Appends filler until the content is at least `target` bytes.
    pub fn grow_to(&mut self, rng: &mut Rng, target: usize) {
        let mut size = self.len();
        while size < target {
            let p = filler_part(self.kind, rng);
            size += p.bytes.len();
            self.parts.push(p);
        }
    }
}

pub(crate) const NOUNS: &[&str] = &[
    "account", "buffer", "cache", "client", "cluster", "config", "context", "cursor", "delta",
    "entry", "event", "field", "frame", "handle", "header", "index", "item", "layer", "ledger",
    "limit", "list", "loader", "manifest", "matrix", "metric", "node", "offset", "order", "packet",
    "page", "parser", "path", "peer", "pool", "queue", "range", "reader", "record", "region",
    "report", "request", "route", "sample", "schema", "segment", "session", "shard", "signal",
    "slot", "snapshot", "span", "stage", "state", "stream", "table", "task", "timer", "trace",
    "tree", "user", "value", "vector", "window", "worker", "writer", "zone", "batch", "bucket",
    "channel", "chunk", "column", "cycle", "digest", "domain", "filter", "graph",
];
pub(crate) const VERBS: &[&str] = &[
    "build", "check", "clear", "close", "collect", "compute", "convert", "decode", "emit",
    "encode", "expand", "fetch", "find", "flush", "format", "insert", "load", "lookup", "merge",
    "open", "parse", "push", "read", "refresh", "remove", "render", "reset", "resolve", "scan",
    "select", "send", "sort", "split", "store", "sync", "update", "validate", "visit", "write",
];
const TYPES: &[&str] = &[
    "u32",
    "u64",
    "usize",
    "i64",
    "f64",
    "bool",
    "String",
    "Vec<u8>",
    "Option<u32>",
    "&str",
];
const PY_WORDS: &[&str] = &[
    "self", "None", "True", "False", "len", "range", "dict", "list",
];

fn ident(rng: &mut Rng) -> String {
    format!("{}_{}", rng.pick(VERBS), rng.pick(NOUNS))
}

fn camel(rng: &mut Rng) -> String {
    let n = rng.pick(NOUNS);
    let v = rng.pick(VERBS);
    let mut s = String::with_capacity(n.len() + v.len());
    s.push_str(v);
    let mut cs = n.chars();
    if let Some(c) = cs.next() {
        s.push(c.to_ascii_uppercase());
        s.push_str(cs.as_str());
    }
    s
}

/// A CamelCase type name, for file stems of class-per-file languages.
pub(crate) fn type_name_pub(rng: &mut Rng) -> String {
    type_name(rng)
}

fn type_name(rng: &mut Rng) -> String {
    let mut s = String::new();
    for w in [rng.pick(NOUNS), rng.pick(NOUNS)] {
        let mut cs = w.chars();
        if let Some(c) = cs.next() {
            s.push(c.to_ascii_uppercase());
            s.push_str(cs.as_str());
        }
    }
    s
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        let w: &str = if rng.chance(0.5) {
            NOUNS[rng.index(NOUNS.len())]
        } else {
            VERBS[rng.index(VERBS.len())]
        };
        s.push_str(w);
    }
    s
}

/// One filler part for `kind`; text kinds produce one line (or a short block).
fn filler_part(kind: FileKind, rng: &mut Rng) -> Part {
    let n = rng.below(1000);
    let indent = ["", "    ", "        ", "            "][rng.index(4)];
    let line = match kind {
        FileKind::Rust => match rng.below(9) {
            0 => format!(
                "pub fn {}(&mut self, {}: {}) -> Result<{}, Error> {{\n",
                ident(rng),
                rng.pick(NOUNS),
                rng.pick(TYPES),
                type_name(rng)
            ),
            1 => format!(
                "{indent}let {} = self.{}.{}({n});\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                ident(rng)
            ),
            2 => format!("{indent}if {} > {n} {{\n", rng.pick(NOUNS)),
            3 => format!("{indent}}}\n"),
            4 => format!("{indent}// {}.\n", sentence(rng, 6)),
            5 => format!(
                "use crate::{}::{{{}, {}}};\n",
                rng.pick(NOUNS),
                type_name(rng),
                type_name(rng)
            ),
            6 => format!("{indent}{}: {},\n", rng.pick(NOUNS), rng.pick(TYPES)),
            7 => format!("{indent}return Err(Error::{}({n}));\n", type_name(rng)),
            _ => format!(
                "{indent}self.{}.push({}::{}());\n",
                rng.pick(NOUNS),
                type_name(rng),
                ident(rng)
            ),
        },
        FileKind::Python => match rng.below(8) {
            0 => format!(
                "def {}({}, {}={n}):\n",
                ident(rng),
                rng.pick(PY_WORDS),
                NOUNS[rng.index(NOUNS.len())]
            ),
            1 => format!(
                "{indent}{} = {}.{}({})\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                ident(rng),
                rng.pick(PY_WORDS)
            ),
            2 => format!(
                "{indent}if {} is not None and {} > {n}:\n",
                rng.pick(NOUNS),
                NOUNS[rng.index(NOUNS.len())]
            ),
            3 => format!("{indent}# {}\n", sentence(rng, 7)),
            4 => format!("class {}({}):\n", type_name(rng), type_name(rng)),
            5 => format!(
                "{indent}return [{} for {} in {}]\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                NOUNS[rng.index(NOUNS.len())]
            ),
            6 => format!(
                "from {}.{} import {}\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                type_name(rng)
            ),
            _ => format!(
                "{indent}self.{} = {{\"{}\": {n}, \"{}\": {}}}\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                rng.pick(PY_WORDS)
            ),
        },
        FileKind::JavaScript => match rng.below(7) {
            0 => format!(
                "export function {}({}, {}) {{\n",
                camel(rng),
                rng.pick(NOUNS),
                NOUNS[rng.index(NOUNS.len())]
            ),
            1 => format!(
                "{indent}const {} = await {}.{}({n});\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                camel(rng)
            ),
            2 => format!("{indent}}}\n"),
            3 => format!("{indent}// {}\n", sentence(rng, 6)),
            4 => format!(
                "import {{ {} }} from './{}/{}.js';\n",
                camel(rng),
                rng.pick(NOUNS),
                NOUNS[rng.index(NOUNS.len())]
            ),
            5 => format!(
                "{indent}if ({}.length > {n}) {{ return {}; }}\n",
                rng.pick(NOUNS),
                NOUNS[rng.index(NOUNS.len())]
            ),
            _ => format!(
                "{indent}this.{} = {{ {}: {n}, {}: '{}' }};\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                VERBS[rng.index(VERBS.len())]
            ),
        },
        FileKind::Go => match rng.below(7) {
            0 => format!(
                "func (s *{}) {}({} int) (*{}, error) {{\n",
                type_name(rng),
                camel(rng),
                rng.pick(NOUNS),
                type_name(rng)
            ),
            1 => format!(
                "{indent}{} := s.{}.{}({n})\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                camel(rng)
            ),
            2 => format!(
                "{indent}if err != nil {{\n{indent}\treturn nil, fmt.Errorf(\"{}: %w\", err)\n{indent}}}\n",
                ident(rng)
            ),
            3 => format!("{indent}// {}\n", sentence(rng, 8)),
            4 => format!("{indent}}}\n"),
            5 => format!(
                "type {} struct {{\n\t{} []byte\n\t{} int64\n}}\n",
                type_name(rng),
                camel(rng),
                camel(rng)
            ),
            _ => format!(
                "{indent}for i := 0; i < {n}; i++ {{ s.{}[i] = {} }}\n",
                rng.pick(NOUNS),
                NOUNS[rng.index(NOUNS.len())]
            ),
        },
        FileKind::Java => match rng.below(6) {
            0 => format!(
                "    public {} {}(final {} {}) {{\n",
                type_name(rng),
                camel(rng),
                type_name(rng),
                NOUNS[rng.index(NOUNS.len())]
            ),
            1 => format!(
                "{indent}final var {} = this.{}.{}({n});\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                camel(rng)
            ),
            2 => format!("{indent}}}\n"),
            3 => format!("{indent}/** {}. */\n", sentence(rng, 8)),
            4 => format!(
                "import com.example.{}.{};\n",
                rng.pick(NOUNS),
                type_name(rng)
            ),
            _ => format!(
                "{indent}if ({} == null) {{ throw new IllegalStateException(\"{}\"); }}\n",
                rng.pick(NOUNS),
                sentence(rng, 3)
            ),
        },
        FileKind::Yaml => match rng.below(4) {
            0 => format!("{}:\n", rng.pick(NOUNS)),
            1 => format!("  {}: {n}\n", rng.pick(NOUNS)),
            2 => format!(
                "  {}_{}: \"{}\"\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                VERBS[rng.index(VERBS.len())]
            ),
            _ => format!("  - name: {}\n    replicas: {}\n", ident(rng), n % 9),
        },
        FileKind::Toml => match rng.below(3) {
            0 => format!("[{}.{}]\n", rng.pick(NOUNS), rng.pick(NOUNS)),
            1 => format!("{}_{} = {n}\n", rng.pick(NOUNS), rng.pick(NOUNS)),
            _ => format!("{} = \"{}\"\n", rng.pick(NOUNS), rng.pick(VERBS)),
        },
        FileKind::Json => match rng.below(3) {
            0 => format!(
                "  \"{}\": {{ \"{}\": {n}, \"enabled\": {} }},\n",
                ident(rng),
                rng.pick(NOUNS),
                rng.chance(0.5)
            ),
            1 => format!("  \"{}\": [{n}, {}, {}],\n", rng.pick(NOUNS), n / 3, n / 7),
            _ => format!("  \"{}\": \"{}\",\n", rng.pick(NOUNS), sentence(rng, 3)),
        },
        FileKind::Env => format!(
            "{}_{}={}\n",
            rng.pick(NOUNS).to_uppercase(),
            rng.pick(NOUNS).to_uppercase(),
            n
        ),
        FileKind::Markdown => match rng.below(4) {
            0 => format!("## {}\n", sentence(rng, 3)),
            1 => "\n".to_string(),
            2 => format!("- `{}` {}.\n", ident(rng), sentence(rng, 6)),
            _ => format!("{}. {}.\n", sentence(rng, 12), sentence(rng, 9)),
        },
        FileKind::MinifiedJs => format!(
            "function {}(a,b){{var c=a.{}(b,{n});return c&&c.{}?c.{}:{}}};",
            camel(rng),
            camel(rng),
            rng.pick(NOUNS),
            rng.pick(NOUNS),
            n % 17
        ),
        FileKind::Csv => format!(
            "{},{},{n},{},{};",
            rng.pick(NOUNS),
            rng.pick(VERBS),
            n * 7 % 1000,
            NOUNS[rng.index(NOUNS.len())]
        ),
        FileKind::Binary => {
            let mut b = vec![0u8; 64 + rng.index(192)];
            rng.fill_bytes(&mut b);
            // Real binaries are full of zero runs; make sure NULs are present.
            for i in (0..b.len()).step_by(7) {
                b[i] = 0;
            }
            return Part {
                bytes: Rc::from(b),
                plant: None,
            };
        }
        FileKind::Latin1 => {
            // Text with high (non-UTF-8) bytes but no NUL: binary-looking to a
            // person, text to git's heuristic.
            let mut s = sentence(rng, 6).into_bytes();
            for b in s.iter_mut().step_by(5) {
                if *b == b' ' {
                    *b = 0xA0 + (n % 0x5F) as u8;
                }
            }
            s.extend_from_slice(&[0xE9, 0xE8, 0xFC, b'\n']);
            return Part {
                bytes: Rc::from(s),
                plant: None,
            };
        }
        FileKind::Log => format!(
            "2024-{:02}-{:02}T{:02}:{:02}:{:02}Z INFO {} {} id={n} took={}ms\n",
            1 + n % 12,
            1 + n % 28,
            n % 24,
            n % 60,
            (n * 7) % 60,
            ident(rng),
            rng.pick(NOUNS),
            n % 97
        ),
    };
    Part::text(line)
}

/// A binary file's header, so binaries look like real formats.
pub fn binary_header(rng: &mut Rng) -> &'static [u8] {
    const HEADERS: &[&[u8]] = &[
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        b"\x7fELF\x02\x01\x01\0",
        b"PK\x03\x04\x14\0\0\0",
    ];
    HEADERS[rng.index(HEADERS.len())]
}

/// Prepends a binary header part (used when a binary file is created).
pub fn with_binary_header(mut c: Content, rng: &mut Rng) -> Content {
    c.parts.insert(
        0,
        Part {
            bytes: Rc::from(binary_header(rng)),
            plant: None,
        },
    );
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_plants_and_change_bytes() {
        let mut rng = Rng::new(3);
        for &kind in FileKind::all() {
            let mut c = Content::generate(kind, &mut rng, 2000);
            c.plant(&mut rng, 7, "export X=1\n");
            let mut a = Vec::new();
            let mut sites = Vec::new();
            c.materialize(&mut a, &mut sites);
            assert_eq!(sites.len(), 1);
            for _ in 0..20 {
                c = c.edit(&mut rng);
            }
            let mut b = Vec::new();
            c.materialize(&mut b, &mut sites);
            assert_eq!(sites.len(), 1, "{kind:?}");
            assert_ne!(a, b);
        }
    }

    #[test]
    fn binary_heuristic_matches_kind() {
        let mut rng = Rng::new(4);
        for &kind in FileKind::all() {
            let c = Content::generate(kind, &mut rng, 9000);
            let mut out = Vec::new();
            c.materialize(&mut out, &mut Vec::new());
            let has_nul = out[..out.len().min(8000)].contains(&0);
            assert_eq!(has_nul, kind.is_binary(), "{kind:?}");
        }
    }

    #[test]
    fn straddling_plant_crosses_boundary() {
        let mut rng = Rng::new(5);
        let mut c = Content::generate(FileKind::Log, &mut rng, 1 << 20);
        let text = "export GH_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyz\n"; // scanner:allow (test fixture)
        c.plant_straddling(1, text, 16, 40, 1 << 20);
        c.grow_to(&mut rng, (1 << 20) + 4096);
        let mut out = Vec::new();
        let mut sites = Vec::new();
        c.materialize(&mut out, &mut sites);
        let start = sites[0].part_offset + 16;
        assert!(start < (1 << 20) && start + 40 > (1 << 20));
        assert_eq!(&out[start..start + 4], b"ghp_");
    }
}
