//! The ways one planned request is sent: once ([`single`]), over the pages of a list
//! ([`paginate`]), until a condition holds ([`wait`]), to several contexts ([`fanout`]). Each
//! is a loop over an [`http::Client`](crate::http::Client), so retries, the 401 refresh, `-v`
//! and connection reuse work the same in all of them.

pub mod fanout;
pub mod paginate;
pub mod single;
pub mod wait;
