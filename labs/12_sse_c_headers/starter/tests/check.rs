//! The lab's check. Don't change these tests: `s3lab lab check 12` restores them before it runs.

use lab_sse_c_headers::{key_md5, sse_c_headers, WrongKeyLength};

fn key() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

#[test]
fn md5_of_the_key_not_of_its_base64() {
    assert_eq!(key_md5(&key()), "tP/LI3N87DFaSk0aoqYgzg==");
    assert_eq!(key_md5(&[0x42; 32]), "8NB6psqPvuXCjIqE3J2m5Q==");
}

#[test]
fn the_three_headers() {
    let headers = sse_c_headers(&key()).unwrap();
    assert_eq!(
        headers,
        [
            ("x-amz-server-side-encryption-customer-algorithm", "AES256".to_string()),
            (
                "x-amz-server-side-encryption-customer-key",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string()
            ),
            ("x-amz-server-side-encryption-customer-key-MD5", "tP/LI3N87DFaSk0aoqYgzg==".to_string()),
        ]
    );
}

#[test]
fn keys_of_other_lengths_are_refused() {
    assert_eq!(sse_c_headers(&[1; 16]), Err(WrongKeyLength(16)));
    assert_eq!(sse_c_headers(&[]), Err(WrongKeyLength(0)));
}
