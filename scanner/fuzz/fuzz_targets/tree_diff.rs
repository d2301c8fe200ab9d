//! Raw tree objects (entry modes, names, ids, git order) through the tree
//! diff: two trees from the input, every other id missing, so malformed
//! entries, unknown subtrees and damage records are all exercised.
#![no_main]

use gix::ObjectId;
use libfuzzer_sys::fuzz_target;
use scanner::git::Result;
use scanner::internals::{TreeDiff, TreeSource};

struct TwoTrees<'a> {
    old: &'a [u8],
    new: &'a [u8],
}

const OLD: ObjectId = ObjectId::Sha1([1; 20]);
const NEW: ObjectId = ObjectId::Sha1([2; 20]);

impl TreeSource for TwoTrees<'_> {
    fn load_tree(&mut self, id: &ObjectId, buf: &mut Vec<u8>) -> Result<()> {
        buf.clear();
        if *id == OLD {
            buf.extend_from_slice(self.old);
        } else if *id == NEW {
            buf.extend_from_slice(self.new);
        } else {
            // Subtrees named by the input: half of them exist (as the new
            // tree again, which nests), half are missing.
            if id.as_bytes()[0] & 1 == 0 {
                buf.extend_from_slice(self.new);
            } else {
                return Err(scanner::git::Error::Options("missing (fuzz)".into()));
            }
        }
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = (usize::from(split) * rest.len() / 255).min(rest.len());
    let (old, new) = rest.split_at(at);
    let mut src = TwoTrees { old, new };
    let mut td = TreeDiff::new(1 << 20).with_entry_limit(100_000);
    let mut n = 0u64;
    let _ = td.diff(&mut src, &NEW, Some(&OLD), &NEW, &mut |_, _, _| {
        n += 1;
        Ok(())
    });
    let _ = td.diff(&mut src, &NEW, None, &NEW, &mut |_, _, _| Ok(()));
});
