//! A small, bounded XML tree for WeChat's callback documents: elements, text and CDATA only.
//! DTDs and processing instructions are refused, so no entity tricks reach the parser.

use quick_xml::Reader;
use quick_xml::events::Event;

const MAX_DEPTH: usize = 8;
const MAX_ELEMENTS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed XML: {0}")]
pub struct XmlError(pub String);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of a direct child, if present and not empty.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_owned())
            .filter(|t| !t.is_empty())
    }
}

/// Parses a document and returns its root element.
pub fn parse(input: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(input);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(XmlError("content after the root element".into()));
                }
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(XmlError("document too deep or too large".into()));
                }
                let name = std::str::from_utf8(start.name().as_ref())
                    .map_err(|_| XmlError("element name is not UTF-8".into()))?
                    .to_owned();
                stack.push(Element {
                    name,
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(XmlError("document too deep or too large".into()));
                }
                let name = std::str::from_utf8(start.name().as_ref())
                    .map_err(|_| XmlError("element name is not UTF-8".into()))?
                    .to_owned();
                let element = Element {
                    name,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None if root.is_none() => root = Some(element),
                    None => return Err(XmlError("content after the root element".into())),
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(text) => {
                let decoded = text
                    .decode()
                    .map_err(|e| XmlError(format!("bad text: {e}")))?;
                append_text(&mut stack, &decoded)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => ch.to_string(),
                    Ok(None) => {
                        let name = reference
                            .decode()
                            .map_err(|e| XmlError(format!("bad entity: {e}")))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                    Err(e) => return Err(XmlError(format!("bad character reference: {e}"))),
                };
                append_text(&mut stack, &resolved)?;
            }
            Event::CData(cdata) => {
                let text = std::str::from_utf8(&cdata)
                    .map_err(|_| XmlError("CDATA is not UTF-8".into()))?;
                match stack.last_mut() {
                    Some(current) => current.text.push_str(text),
                    None => return Err(XmlError("CDATA outside the root element".into())),
                }
            }
            Event::DocType(_) => return Err(XmlError("DOCTYPE is not allowed".into())),
            Event::PI(_) => return Err(XmlError("processing instructions are not allowed".into())),
            Event::Decl(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError("unexpected end of document".into()));
    }
    root.ok_or_else(|| XmlError("empty document".into()))
}

fn append_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(current) => current.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(XmlError("text outside the root element".into())),
    }
    Ok(())
}

/// Writes `text` as CDATA; a `]]>` inside is split across two sections.
pub fn push_cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    // A `]]>` inside would end the section: split it across two sections.
    let mut pieces = text.split("]]>");
    if let Some(first) = pieces.next() {
        out.push_str(first);
    }
    for piece in pieces {
        out.push_str("]]]]><![CDATA[>");
        out.push_str(piece);
    }
    out.push_str("]]>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_lists_and_mixed_text() {
        let root =
            parse("<xml><A><![CDATA[x]]></A><L><I>1</I></L><L><I>2</I></L><B>a &amp; b</B></xml>")
                .unwrap();
        assert_eq!(root.name, "xml");
        assert_eq!(root.text_of("A").as_deref(), Some("x"));
        assert_eq!(root.children_named("L").count(), 2);
        assert_eq!(root.text_of("B").as_deref(), Some("a & b"));
    }

    #[test]
    fn refuses_broken_and_hostile_documents() {
        let many_empty_elements = format!("<xml>{}</xml>", "<e/>".repeat(MAX_ELEMENTS + 1));
        for bad in [
            "",
            "<xml>",
            "<xml><a></b></xml>",
            "</xml>",
            "<xml></xml><xml></xml>",
            "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml>&e;</xml>",
            "<xml>&unknown;</xml>",
            "<a><a><a><a><a><a><a><a><a><a></a></a></a></a></a></a></a></a></a></a>",
            &many_empty_elements,
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn a_doctype_is_refused_even_without_entities() {
        let err = parse("<!DOCTYPE xml><xml><A>1</A></xml>").unwrap_err();
        assert!(err.0.contains("DOCTYPE"), "{err}");
    }

    #[test]
    fn processing_instructions_are_refused_but_the_declaration_and_comments_pass() {
        for pi in [
            "<?xml-stylesheet href=\"x.xsl\"?><xml></xml>",
            "<xml><?php echo 1; ?></xml>",
        ] {
            let err = parse(pi).unwrap_err();
            assert!(err.0.contains("processing instructions"), "{pi}: {err}");
        }
        let root = parse(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><!-- c --><xml><A>1<!-- c -->2</A></xml>",
        )
        .unwrap();
        assert_eq!(root.text_of("A").as_deref(), Some("12"));
    }

    #[test]
    fn the_element_limit_is_exact_for_both_element_forms() {
        // The root counts: root + (limit - 1) children is the most allowed.
        for element in ["<e></e>", "<e/>"] {
            let at_limit = format!("<xml>{}</xml>", element.repeat(MAX_ELEMENTS - 1));
            assert_eq!(parse(&at_limit).unwrap().children.len(), MAX_ELEMENTS - 1);
            let over = format!("<xml>{}</xml>", element.repeat(MAX_ELEMENTS));
            let err = parse(&over).unwrap_err();
            assert!(err.0.contains("too deep or too large"), "{element}: {err}");
        }
    }

    #[test]
    fn the_depth_limit_is_exact_for_both_element_forms() {
        let nested = |depth: usize, leaf: &str| {
            format!("{}{leaf}{}", "<a>".repeat(depth), "</a>".repeat(depth))
        };
        assert!(parse(&nested(MAX_DEPTH, "")).is_ok());
        assert!(parse(&nested(MAX_DEPTH + 1, "")).is_err());
        assert!(parse(&nested(MAX_DEPTH - 1, "<b/>")).is_ok());
        assert!(parse(&nested(MAX_DEPTH, "<b/>")).is_err());
    }

    #[test]
    fn self_closing_elements_are_empty_children_or_the_root() {
        let root = parse("<xml><A/><B>b</B><C></C></xml>").unwrap();
        let names: Vec<&str> = root.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C"]);
        assert_eq!(
            root.child("A"),
            Some(&Element {
                name: "A".into(),
                ..Element::default()
            })
        );
        // Present but empty (or blank) reads as absent.
        assert_eq!(root.text_of("A"), None);
        assert_eq!(root.text_of("C"), None);
        assert_eq!(root.text_of("Z"), None);
        assert_eq!(root.text_of("B").as_deref(), Some("b"));

        assert_eq!(
            parse("<xml/>").unwrap(),
            Element {
                name: "xml".into(),
                ..Element::default()
            }
        );
        for bad in ["<xml/><xml/>", "<xml></xml><e/>", "<xml/><e></e>"] {
            let err = parse(bad).unwrap_err();
            assert!(err.0.contains("after the root"), "{bad}: {err}");
        }
    }

    #[test]
    fn whitespace_around_the_root_is_ignored_but_text_is_not() {
        let root = parse("\n  <xml><A> x </A></xml>\r\n\t ").unwrap();
        assert_eq!(root.name, "xml");
        assert_eq!(root.child("A").unwrap().text, " x ");
        assert_eq!(root.text_of("A").as_deref(), Some("x"));
        for bad in [
            "x<xml></xml>",
            "<xml></xml>x",
            "&amp;<xml></xml>",
            "<![CDATA[x]]><xml/>",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.0.contains("outside the root"), "{bad}: {err}");
        }
    }

    #[test]
    fn references_and_split_text_are_joined() {
        let root =
            parse("<xml><A>&#20013;&#x6587;&lt;&gt;&quot;&apos;</A><B>a<![CDATA[b]]>c</B></xml>")
                .unwrap();
        assert_eq!(root.text_of("A").as_deref(), Some("中文<>\"'"));
        assert_eq!(root.text_of("B").as_deref(), Some("abc"));
        assert!(parse("<xml>&#xD800;</xml>").is_err());
    }

    #[test]
    fn an_unclosed_document_is_refused_as_such() {
        assert_eq!(
            parse("<xml><A>1</A>"),
            Err(XmlError("unexpected end of document".into()))
        );
        assert_eq!(parse("  "), Err(XmlError("empty document".into())));
    }

    #[test]
    fn cdata_with_terminator_round_trips() {
        let mut out = String::from("<xml><C>");
        push_cdata(&mut out, "a]]>b");
        out.push_str("</C></xml>");
        assert_eq!(parse(&out).unwrap().text_of("C").as_deref(), Some("a]]>b"));
    }
}
