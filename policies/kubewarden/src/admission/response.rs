//! The answers the policy gives: accepted (with warnings) or rejected with a status
//! code and a bounded message.

use kubewarden_policy_sdk::response::ValidationResponse;

use crate::rules::clip;

/// HTTP status for a request that breaks a rule (Forbidden, as the API server would
/// answer for a denied request; also what the ValidatingAdmissionPolicy twin uses).
pub const CODE_VIOLATION: u16 = 403;
/// HTTP status for a request this policy cannot read (Bad Request).
pub const CODE_MALFORMED: u16 = 400;
/// HTTP status when the policy's own settings are unusable (Internal Server Error).
pub const CODE_SETTINGS: u16 = 500;

/// Longest message returned, in bytes; violations are cut off beyond it.
const MAX_MESSAGE_BYTES: usize = 4096;

/// A response with every field the policy sets.
pub fn response(
    accepted: bool,
    message: Option<String>,
    code: Option<u16>,
    warnings: Vec<String>,
) -> ValidationResponse {
    ValidationResponse {
        accepted,
        message,
        code,
        mutated_object: None,
        audit_annotations: None,
        warnings: (!warnings.is_empty()).then_some(warnings),
    }
}

/// Rejects with `code` and `message` (bounded).
pub fn reject(code: u16, message: String) -> ValidationResponse {
    response(false, Some(cap(message)), Some(code), Vec::new())
}

/// Accepts, with `warnings` as they are.
pub fn accept(warnings: Vec<String>) -> ValidationResponse {
    response(true, None, None, warnings)
}

/// Bounds a message (at a character boundary).
pub fn cap(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str("\n… (message truncated)");
    }
    message
}

/// A settings error as a message.
pub fn clip_error(s: &str) -> String {
    // Settings errors quote the operator's own values; bound them all the same.
    if s.len() > 1024 {
        clip(s)
    } else {
        s.to_string()
    }
}
