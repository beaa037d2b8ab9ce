//! guard-compile
