//! guard-sema
