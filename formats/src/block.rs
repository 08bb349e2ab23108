//! Block type numbers of the scap/pcapng framing.

/// Section header block (also pcapng's).
pub const SHB: u32 = 0x0A0D_0D0A;
/// Byte-order magic as read in the writer's byte order.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// Machine info.
pub const MI: u32 = 0x201;
/// Process list v1.
pub const PL_V1: u32 = 0x202;
/// Fd list v1.
pub const FDL_V1: u32 = 0x203;
/// Event v1 (no nparams).
pub const EV_V1: u32 = 0x204;
/// Interface list v1.
pub const IL_V1: u32 = 0x205;
/// User list v1.
pub const UL_V1: u32 = 0x206;
/// Process list v2.
pub const PL_V2: u32 = 0x207;
/// Event with flags v1.
pub const EVF_V1: u32 = 0x208;
/// Process list v3.
pub const PL_V3: u32 = 0x209;
/// Process list v4.
pub const PL_V4: u32 = 0x210;
/// Process list v5.
pub const PL_V5: u32 = 0x211;
/// Process list v6.
pub const PL_V6: u32 = 0x212;
/// Process list v7.
pub const PL_V7: u32 = 0x213;
/// Process list v8.
pub const PL_V8: u32 = 0x214;
/// Process list v9 (current).
pub const PL_V9: u32 = 0x215;
/// Event v2 (current).
pub const EV_V2: u32 = 0x216;
/// Event with flags v2.
pub const EVF_V2: u32 = 0x217;
/// Fd list v2 (current).
pub const FDL_V2: u32 = 0x218;
/// Interface list v2.
pub const IL_V2: u32 = 0x219;
/// User list v2.
pub const UL_V2: u32 = 0x220;
/// Event v2 with u32 parameter lengths.
pub const EV_V2_LARGE: u32 = 0x221;
/// Event with flags v2, u32 parameter lengths.
pub const EVF_V2_LARGE: u32 = 0x222;
/// Pre-release ids libscap still reads.
pub const MI_INT: u32 = 0x8002_ABCD;
/// Pre-release process list v1.
pub const PL_V1_INT: u32 = 0x8000_ABCD;
/// Pre-release process list v2.
pub const PL_V2_INT: u32 = 0x8013_ABCD;
/// Pre-release process list v3.
pub const PL_V3_INT: u32 = 0x8014_ABCD;
/// Pre-release fd list.
pub const FDL_INT: u32 = 0x8001_ABCD;
/// Pre-release event block.
pub const EV_INT: u32 = 0x8010_ABCD;
/// Pre-release interface list.
pub const IL_INT: u32 = 0x8011_ABCD;
/// Pre-release user list.
pub const UL_INT: u32 = 0x8012_ABCD;
/// pcapng interface description block.
pub const PCAPNG_IDB: u32 = 0x1;
/// pcapng enhanced packet block.
pub const PCAPNG_EPB: u32 = 0x6;
/// pcapng systemd journal export block (alert records in pcapng mode).
pub const PCAPNG_JOURNAL: u32 = 0x9;

/// The largest block dumpcap's pipe reader accepts (the extcap FIFO path).
pub const PIPE_MAX_BLOCK: usize = 262_144;
/// The largest large-payload event (header and parameters) a block of at
/// most [`PIPE_MAX_BLOCK`] bytes carries: 12 bytes of block framing, the
/// cpu and the optional flags, rounded down to the 4-byte block alignment.
pub const MAX_LARGE_EVENT_LEN: usize = PIPE_MAX_BLOCK - 20;
/// The largest non-large event block body libscap reads (`READER_BUF_SIZE`).
pub const LIBSCAP_MAX_EVENT_BLOCK: usize = 65_536;

/// A short human name of a block type, for `scapbridge info`.
pub fn name(block_type: u32) -> &'static str {
    match block_type {
        SHB => "section header",
        MI | MI_INT => "machine info",
        PL_V1 | PL_V1_INT => "process list v1",
        PL_V2 | PL_V2_INT => "process list v2",
        PL_V3 | PL_V3_INT => "process list v3",
        PL_V4 => "process list v4",
        PL_V5 => "process list v5",
        PL_V6 => "process list v6",
        PL_V7 => "process list v7",
        PL_V8 => "process list v8",
        PL_V9 => "process list v9",
        FDL_V1 | FDL_INT => "fd list v1",
        FDL_V2 => "fd list v2",
        IL_V1 | IL_INT => "interface list v1",
        IL_V2 => "interface list v2",
        UL_V1 | UL_INT => "user list v1",
        UL_V2 => "user list v2",
        EV_V1 | EV_INT => "event v1",
        EVF_V1 => "event+flags v1",
        EV_V2 => "event v2",
        EVF_V2 => "event+flags v2",
        EV_V2_LARGE => "event v2 large",
        EVF_V2_LARGE => "event+flags v2 large",
        PCAPNG_IDB => "pcapng interface description",
        PCAPNG_EPB => "pcapng enhanced packet",
        PCAPNG_JOURNAL => "pcapng systemd journal export",
        _ => "unknown",
    }
}
