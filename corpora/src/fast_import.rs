//! Writes a `git fast-import` stream.
//!
//! fast-import is the fastest way to build a large history: the generator
//! streams blobs and commits into it and never touches a work tree. Marks
//! (`:N`) name objects inside the stream; one counter serves blobs and
//! commits. Identities and dates are fixed by the caller, so the resulting
//! commit ids depend only on the stream's content.

use std::io::{self, Write};

pub const AUTHOR: &str = "Corpus Author <author@corpora.example>";
pub const COMMITTER: &str = "Corpus Committer <committer@corpora.example>";

/// One tree change of a commit, relative to its first parent.
#[derive(Clone, Debug)]
pub enum TreeChange<'a> {
    /// Set `path` to the blob with this mark (mode 100644).
    Modify {
        path: &'a str,
        blob_mark: u32,
    },
    Delete {
        path: &'a str,
    },
}

/// A commit to write.
#[derive(Debug)]
pub struct CommitCmd<'a> {
    pub reference: &'a str,
    pub mark: u32,
    pub time: i64,
    pub message: &'a str,
    pub parents: &'a [u32],
    pub changes: &'a [TreeChange<'a>],
}

#[derive(Debug)]
pub struct Stream<W: Write> {
    w: W,
}

impl<W: Write> Stream<W> {
    pub fn new(w: W) -> Self {
        Stream { w }
    }

    pub fn blob(&mut self, mark: u32, bytes: &[u8]) -> io::Result<()> {
        write!(self.w, "blob\nmark :{mark}\ndata {}\n", bytes.len())?;
        self.w.write_all(bytes)?;
        self.w.write_all(b"\n")
    }

    pub fn commit(&mut self, c: &CommitCmd<'_>) -> io::Result<()> {
        let w = &mut self.w;
        writeln!(w, "commit {}\nmark :{}", c.reference, c.mark)?;
        writeln!(w, "author {AUTHOR} {} +0000", c.time)?;
        writeln!(w, "committer {COMMITTER} {} +0000", c.time)?;
        writeln!(w, "data {}\n{}", c.message.len(), c.message)?;
        if let Some((first, rest)) = c.parents.split_first() {
            writeln!(w, "from :{first}")?;
            for p in rest {
                writeln!(w, "merge :{p}")?;
            }
        }
        for ch in c.changes {
            match ch {
                TreeChange::Modify { path, blob_mark } => {
                    writeln!(w, "M 100644 :{blob_mark} {path}")?
                }
                TreeChange::Delete { path } => writeln!(w, "D {path}")?,
            }
        }
        w.write_all(b"\n")
    }

    /// Points `reference` at the commit with `mark` (lightweight tags, branches).
    pub fn reset(&mut self, reference: &str, mark: u32) -> io::Result<()> {
        write!(self.w, "reset {reference}\nfrom :{mark}\n\n")
    }

    /// Ends the stream (`--done` mode) and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.write_all(b"done\n")?;
        self.w.flush()?;
        Ok(self.w)
    }
}
