//! The request metrics middleware: every request counted and timed by its
//! route template, method and status (the metrics themselves: sybil-metrics).

use std::sync::Arc;
use std::time::Instant;

use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, Response, Result};

use crate::route_table::RouteTable;

/// The `route` label of a path that matches no route.
const UNMATCHED: &str = "unmatched";

/// A method outside the standard set is counted as `OTHER`, so clients
/// cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Counts every request and times it to the response head (a stream's body
/// goes on after that; the open-streams gauge covers it).
pub async fn record_request<E: Endpoint>(
    next: E,
    req: Request,
    routes: Arc<RouteTable>,
) -> Result<Response> {
    let route = routes.template(req.uri().path()).unwrap_or(UNMATCHED);
    let method = method_label(req.method());
    let started = Instant::now();
    let result = next.call(req).await.map(IntoResponse::into_response);
    let status = match &result {
        Ok(resp) => resp.status().as_u16(),
        Err(err) => err.status().as_u16(),
    };
    sybil_metrics::record_http_request(route, method, status, started.elapsed());
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
    }
}
