//! What HTTP/1.1 requires of a request and hyper lets through: exactly one valid `Host` (RFC
//! 9112 §3.2), no transfer coding but `chunked`, once (§6.1, §7), and a head no larger than the
//! connection buffer however its bytes arrived.
//!
//! hyper refuses a head larger than its buffer while the head is incomplete; the limit is checked
//! here again on the parsed head, so that it is one limit however the bytes were read (an attack
//! found heads up to 112 KiB accepted in one write on an earlier build; hyper 1.12 bounds each
//! read by what is left of the buffer, and this keeps the bound whatever hyper does).

use http::header::{HOST, TRANSFER_ENCODING};
use http::{HeaderValue, StatusCode, Version};

use crate::{HttpError, IntoResponse, Response};

/// The answer to a request that breaks one of these rules, or `None` to serve it. The answer
/// closes the connection: a request whose framing or target is in doubt leaves nothing on the
/// connection that can be trusted.
pub(crate) fn check<B>(request: &http::Request<B>, head_limit: usize) -> Option<Response> {
    let refusal = if head_size(request) > head_limit {
        Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the request head is larger than {head_limit} bytes"),
        ))
    } else if request.version() == Version::HTTP_11 {
        host(request).or_else(|| transfer_coding(request))
    } else {
        transfer_coding(request)
    };
    refusal.map(|(status, message)| {
        let mut response = HttpError::new(status, message).into_response();
        response
            .headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        response
    })
}

/// The head's size as it came on the wire: request line, header lines, blank line.
fn head_size<B>(request: &http::Request<B>) -> usize {
    let uri = request.uri();
    // The target as sent: origin-form `/path?query`, or absolute-form with scheme and authority.
    let target = uri.path_and_query().map_or(1, |pq| pq.as_str().len())
        + uri.authority().map_or(0, |a| {
            uri.scheme_str().map_or(0, str::len) + 3 + a.as_str().len()
        });
    // "GET " + target + " HTTP/1.1\r\n"
    let line = request.method().as_str().len() + 1 + target + 11;
    let fields: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    line + fields + 2
}

fn host<B>(request: &http::Request<B>) -> Option<(StatusCode, String)> {
    let mut hosts = request.headers().get_all(HOST).iter();
    let problem = match (hosts.next(), hosts.next()) {
        (None, _) => "an HTTP/1.1 request must have a Host header",
        (Some(_), Some(_)) => "the request has more than one Host header",
        (Some(value), None) => {
            if value.to_str().is_ok_and(valid_host) {
                return None;
            }
            "the Host header is not a valid host[:port]"
        }
    };
    Some((StatusCode::BAD_REQUEST, problem.to_owned()))
}

/// `host` or `host:port` (RFC 9110 §7.2: the target URI's authority, without user info).
fn valid_host(text: &str) -> bool {
    if text.contains('@') {
        return false;
    }
    let Ok(authority) = text.parse::<http::uri::Authority>() else {
        return false;
    };
    // What follows the host: nothing, or a colon and the port's digits.
    let rest = &authority.as_str()[authority.host().len()..];
    !authority.host().is_empty()
        && (rest.is_empty()
            || rest
                .strip_prefix(':')
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())))
}

fn transfer_coding<B>(request: &http::Request<B>) -> Option<(StatusCode, String)> {
    let mut chunked = 0;
    for value in request.headers().get_all(TRANSFER_ENCODING) {
        let Ok(text) = value.to_str() else {
            return Some((
                StatusCode::BAD_REQUEST,
                "the Transfer-Encoding header is not valid text".to_owned(),
            ));
        };
        for coding in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if !coding.eq_ignore_ascii_case("chunked") {
                return Some((
                    StatusCode::NOT_IMPLEMENTED,
                    format!(
                        "the transfer coding \"{coding}\" is not implemented; send the body chunked or with a Content-Length"
                    ),
                ));
            }
            chunked += 1;
        }
    }
    (chunked > 1).then(|| {
        (
            StatusCode::BAD_REQUEST,
            "the chunked transfer coding is applied more than once".to_owned(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: Version, headers: &[(&str, &str)]) -> http::Request<()> {
        let mut builder = http::Request::get("/x").version(version);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    fn status(request: &http::Request<()>) -> Option<u16> {
        check(request, 64 * 1024).map(|r| r.status().as_u16())
    }

    #[test]
    fn host_is_required_once_and_valid_on_http11_only() {
        assert_eq!(
            status(&request(Version::HTTP_11, &[("host", "a.example:3000")])),
            None
        );
        assert_eq!(
            status(&request(Version::HTTP_11, &[("host", "[::1]:80")])),
            None
        );
        assert_eq!(status(&request(Version::HTTP_11, &[])), Some(400));
        assert_eq!(
            status(&request(Version::HTTP_11, &[("host", "a"), ("host", "b")])),
            Some(400)
        );
        for bad in ["", "a b", "user@a.example", "a.example:port"] {
            assert_eq!(
                status(&request(Version::HTTP_11, &[("host", bad)])),
                Some(400),
                "{bad:?}"
            );
        }
        assert_eq!(status(&request(Version::HTTP_10, &[])), None);
    }

    #[test]
    fn only_chunked_once_is_a_transfer_coding() {
        let with = |te| {
            request(
                Version::HTTP_11,
                &[("host", "a"), ("transfer-encoding", te)],
            )
        };
        assert_eq!(status(&with("chunked")), None);
        assert_eq!(status(&with("gzip, chunked")), Some(501));
        assert_eq!(status(&with("chunked, chunked")), Some(400));
    }

    #[test]
    fn the_head_limit_counts_the_whole_head() {
        let big = "a".repeat(1000);
        let head = request(Version::HTTP_11, &[("host", "a"), ("x-big", &big)]);
        let size = head_size(&head);
        // "GET /x HTTP/1.1\r\n" + "host: a\r\n" + "x-big: " + 1000 + "\r\n" + "\r\n"
        assert_eq!(size, 17 + 9 + 7 + 1000 + 2 + 2);
        assert!(check(&head, size).is_none());
        assert_eq!(
            check(&head, size - 1).map(|r| r.status().as_u16()),
            Some(431)
        );
    }
}
