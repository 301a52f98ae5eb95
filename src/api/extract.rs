//! Extractors whose rejections are problems: bad JSON, wrong types, bad paths and queries never
//! answer plain text.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};

use super::problem::ApiError;
use crate::model::Problem;

/// A JSON body; a malformed or mistyped one answers 400/415/422 problems.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

/// A query string; a malformed one answers a 400 problem.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Path parameters; a malformed one answers a 400 problem.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status().as_u16();
        let problem = match rejection {
            JsonRejection::MissingJsonContentType(_) => Problem::new(
                crate::model::ProblemCode::InvalidRequest,
                415,
                "send the body as JSON with Content-Type: application/json",
            ),
            // 400 syntax, 413 too large, 422 wrong shape: axum's statuses are the right ones.
            other => Problem::new(
                crate::model::ProblemCode::InvalidRequest,
                status,
                other.body_text(),
            ),
        };
        problem.into()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Problem::bad_request(rejection.body_text()).into()
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Problem::bad_request(rejection.body_text()).into()
    }
}
