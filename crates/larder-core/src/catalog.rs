//! Catalog rules: barcodes.

/// Whether `code` is a valid GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN-13) or GTIN-14: digits only,
/// of one of those lengths, with a correct check digit (GS1 General Specifications, §7.9.1:
/// from the right, digits alternately weighted 3 and 1, the check digit brings the sum to a
/// multiple of ten).
pub fn is_valid_gtin(code: &str) -> bool {
    let bytes = code.as_bytes();
    if !matches!(bytes.len(), 8 | 12 | 13 | 14) || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (body, check) = bytes.split_at(bytes.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check[0] - b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins() {
        assert!(is_valid_gtin("4006381333931")); // EAN-13 from GS1's examples
        assert!(is_valid_gtin("036000291452")); // UPC-A
        assert!(is_valid_gtin("96385074"));
        assert!(!is_valid_gtin("4006381333932"));
        assert!(!is_valid_gtin("40063813339A1"));
        assert!(!is_valid_gtin("123"));
    }
}
