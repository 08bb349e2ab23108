//! The reader's thread table, through the plugin tables API: the dynamic
//! field `container_id` this plugin adds (the name the container plugin
//! uses, which libsinsp 0.23 itself reads for `fd.containername` and for
//! the container whose users it looks up), the plugin's own field
//! `scapbridge_owner`, the
//! thread's `cgroups` (for threads that came from the capture's process
//! table, which no clone or execve of the capture describes) and its
//! `pidns_init_start_ts` (`container.start_ts`).

use std::ffi::{CStr, CString};
use std::ops::ControlFlow;

use falco_plugin::anyhow::{self, Error};
use falco_plugin::tables::import::{Field, RuntimeEntry, Table};
use falco_plugin::tables::{TableReader, TableWriter, TablesInput};

use crate::events::{container_of_path, HOST};

/// Tag of the thread table's entries.
#[derive(Debug)]
pub(crate) struct ThreadTag;
/// Tag of a thread's cgroups table's entries (`first` = subsystem,
/// `second` = path).
#[derive(Debug)]
pub(crate) struct CgroupTag;

type Thread = RuntimeEntry<ThreadTag>;
type Cgroup = RuntimeEntry<CgroupTag>;
type CgroupTable = Table<u64, Cgroup>;

/// The thread table and the fields the plugin uses.
pub(crate) struct Threads {
    table: Table<i64, Thread>,
    container_id: Field<CStr, Thread>,
    /// The owner as this plugin found it: a short id or [`HOST`] (empty:
    /// not known yet). Kept apart from `container_id`, which stays empty
    /// for a host thread (see [`Threads::set_owner`]).
    owner: Field<CStr, Thread>,
    /// `None` when the reader's threads have no cgroups table.
    cgroups: Option<(Field<CgroupTable, Thread>, Field<CStr, Cgroup>)>,
    /// `None` when the reader's threads have no such field.
    pidns_init_start_ts: Option<Field<u64, Thread>>,
}

impl std::fmt::Debug for Threads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Threads")
            .field("cgroups", &self.cgroups.is_some())
            .field("pidns_init_start_ts", &self.pidns_init_start_ts.is_some())
            .finish()
    }
}

impl Threads {
    /// The reader's `threads` table, with `container_id` added. Only the
    /// table and that field are required; the others are used when there.
    pub(crate) fn new(input: &TablesInput<'_>) -> Result<Threads, Error> {
        let table: Table<i64, Thread> = input.get_table(c"threads")?;
        let container_id = table.add_field(input, c"container_id")?;
        let owner = table.add_field(input, c"scapbridge_owner")?;
        let cgroups = table
            .get_table_field::<u64, CgroupTable, Cgroup, _, _>(input, c"cgroups", |t| {
                t.get_field(input, c"second")
            })
            .ok();
        let pidns_init_start_ts = table.get_field(input, c"pidns_init_start_ts").ok();
        Ok(Threads {
            table,
            container_id,
            owner,
            cgroups,
            pidns_init_start_ts,
        })
    }

    /// The thread's owner as stored by [`Threads::set_owner`] (empty: not
    /// known yet), or `None` when the table has no such thread.
    pub(crate) fn stored_owner(&self, r: &impl TableReader, tid: i64) -> Option<String> {
        let e = self.table.get_entry(r, &tid).ok()?;
        let v = e.read_field(r, &self.owner).ok()?;
        Some(v.to_string_lossy().into_owned())
    }

    /// The thread's owner from its cgroups in the table: the first path
    /// that names a container, else [`HOST`] (also when the reader keeps
    /// no cgroups). `None` when the table has no such thread.
    pub(crate) fn owner_from_cgroups(&self, r: &impl TableReader, tid: i64) -> Option<String> {
        let e = self.table.get_entry(r, &tid).ok()?;
        let Some((cg_field, second)) = &self.cgroups else {
            return Some(HOST.to_string());
        };
        let Ok(cgroups) = e.read_field(r, cg_field) else {
            return Some(HOST.to_string());
        };
        let mut found = None;
        let _ = cgroups.iter_entries_mut(r, |c| {
            if let Ok(path) = c.read_field(r, second) {
                found = container_of_path(&path.to_string_lossy());
            }
            if found.is_some() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        Some(found.unwrap_or_else(|| HOST.to_string()))
    }

    /// The thread's `pidns_init_start_ts`, 0 when unknown.
    pub(crate) fn pidns_init_start_ts(&self, r: &impl TableReader, tid: i64) -> u64 {
        let Some(f) = &self.pidns_init_start_ts else {
            return 0;
        };
        self.table
            .get_entry(r, &tid)
            .and_then(|e| e.read_field(r, f))
            .unwrap_or(0)
    }

    /// Stores `owner` as the thread's owner, and as its `container_id`
    /// unless it is [`HOST`]: a host thread's `container_id` stays empty,
    /// as libsinsp keeps it without a plugin. libs 0.23 looks a thread's
    /// user and group up in the list of its `container_id`, and a capture
    /// file fills only the host's list (`""`): with `host` there, as
    /// falcosecurity's plugin stores it, sysdig 0.41 and Stratoshark name
    /// no host user but root (uid 1000 of a file's list shows `<NA>`).
    /// The price: libsinsp's `fd.containername` is `:<path>` on a host
    /// thread, not `host:<path>`. A thread the table does not have is
    /// left alone.
    pub(crate) fn set_owner(
        &self,
        r: &impl TableReader,
        w: &impl TableWriter,
        tid: i64,
        owner: &str,
    ) -> Result<(), Error> {
        let Ok(e) = self.table.get_entry(r, &tid) else {
            return Ok(());
        };
        let v = CString::new(owner).map_err(|e| anyhow::anyhow!("container id: {e}"))?;
        e.write_field(w, &self.owner, v.as_c_str())?;
        let id = if owner == HOST { c"" } else { v.as_c_str() };
        e.write_field(w, &self.container_id, id)
    }
}
