//! Tests of the OCCI model: category ids, numbers given as strings, and location segments.

use super::*;

#[test]
fn category_id_splits_at_the_last_hash() {
    let id = CategoryId::parse("http://schemas.ogf.org/occi/infrastructure#compute");
    assert_eq!(
        id,
        Some(CategoryId::new(
            "http://schemas.ogf.org/occi/infrastructure#",
            "compute"
        ))
    );
    assert_eq!(CategoryId::parse("no-hash"), None);
    assert_eq!(CategoryId::parse("http://x#"), None);
}

#[test]
fn numbers_as_strings_are_numbers() {
    assert_eq!(AttributeValue::string(" 2 ").as_f64(), Some(2.0));
    assert_eq!(AttributeValue::string("1.0").as_f64(), Some(1.0));
    assert_eq!(AttributeValue::string("two").as_f64(), None);
    assert_eq!(AttributeValue::int(3).as_text(), "3");
}

#[test]
fn last_segment_ignores_trailing_slash_and_query() {
    assert_eq!(last_segment("/compute/89878"), Some("89878"));
    assert_eq!(last_segment("http://h:1/storage/5/"), Some("5"));
    assert_eq!(last_segment("/compute/1?action=stop"), Some("1"));
    assert_eq!(last_segment("/"), None);
}
