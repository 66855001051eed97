//! Chart archives (`.tgz`): safe extraction into memory, with Helm's checks and limits.

use std::io::Read;

use super::HelmError;

/// The most bytes all files of one chart archive may hold once decompressed (Helm's
/// `MaxDecompressedChartSize`, 100 MiB).
pub const MAX_CHART_SIZE: u64 = 100 * 1024 * 1024;

/// The most bytes one file of a chart may hold (Helm's `MaxDecompressedFileSize`, 5 MiB).
pub const MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

/// A file of a chart, by its path relative to the chart's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferedFile {
    /// `/`-separated path relative to the chart root, e.g. `templates/cm.yaml`.
    pub name: String,
    /// The content, a leading UTF-8 byte order mark removed.
    pub data: Vec<u8>,
}

/// Go's `path.Clean` for `/`-separated paths.
pub(crate) use gitops_gotemplate::path::clean as clean_path;

pub(crate) fn trim_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
        data.drain(..3);
    }
    data
}

/// Reads the files of a gzipped tar chart archive, as Helm's `LoadArchiveFiles` does: the
/// first path component (the chart's directory) is dropped, directories are skipped,
/// absolute paths and paths that leave the chart are refused, and the size limits apply.
/// Links are skipped: they would only point outside the archive's files.
///
/// `label` names the archive in errors.
///
/// ```
/// use gitops_render::helm::archive::read_archive;
/// let mut tgz = Vec::new();
/// {
///     let gz = flate2::write::GzEncoder::new(&mut tgz, flate2::Compression::default());
///     let mut tar = tar::Builder::new(gz);
///     let data = b"apiVersion: v2\nname: web\nversion: 1.0.0\n";
///     let mut h = tar::Header::new_gnu();
///     h.set_size(data.len() as u64);
///     h.set_mode(0o644);
///     h.set_cksum();
///     tar.append_data(&mut h, "web/Chart.yaml", &data[..]).unwrap();
///     tar.into_inner().unwrap().finish().unwrap();
/// }
/// let files = read_archive(&tgz, "web-1.0.0.tgz").unwrap();
/// assert_eq!(files[0].name, "Chart.yaml");
/// ```
pub fn read_archive(bytes: &[u8], label: &str) -> Result<Vec<BufferedFile>, HelmError> {
    let err = |m: String| HelmError::archive(label, m);
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(err("does not appear to be a gzipped archive".into()));
    }
    let gz = flate2::read::MultiGzDecoder::new(bytes);
    let mut tar = tar::Archive::new(gz);
    let mut files = Vec::new();
    let mut remaining = MAX_CHART_SIZE;
    let entries = tar.entries().map_err(|e| err(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| err(e.to_string()))?;
        let kind = entry.header().entry_type();
        if kind.is_dir()
            || kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink()
        {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            return Err(err(format!(
                "{}: not a regular file",
                String::from_utf8_lossy(&entry.path_bytes())
            )));
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let delimiter = if raw.contains('\\') { '\\' } else { '/' };
        let parts: Vec<&str> = raw.split(delimiter).collect();
        let n = parts[1..].join("/");
        if n.starts_with('/') {
            return Err(err("chart illegally contains absolute paths".into()));
        }
        let n = clean_path(&n);
        if n == "." {
            return Err(err(format!(
                "chart illegally contains content outside the base directory: {raw:?}"
            )));
        }
        if n.starts_with("..") {
            return Err(err("chart illegally references parent directory".into()));
        }
        let b = n.as_bytes();
        if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
            return Err(err("chart contains illegally named files".into()));
        }
        if parts[0] == "Chart.yaml" {
            return Err(err("chart yaml not in base directory".into()));
        }
        let size = entry.header().size().map_err(|e| err(e.to_string()))?;
        if size > remaining {
            return Err(err(format!(
                "decompressed chart is larger than the maximum size {MAX_CHART_SIZE}"
            )));
        }
        if size > MAX_FILE_SIZE {
            return Err(err(format!(
                "decompressed chart file {raw:?} is larger than the maximum file size {MAX_FILE_SIZE}"
            )));
        }
        let mut data = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(remaining)
            .read_to_end(&mut data)
            .map_err(|e| err(e.to_string()))?;
        remaining -= data.len() as u64;
        if (data.len() as u64) < size || remaining == 0 {
            return Err(err(format!(
                "decompressed chart is larger than the maximum size {MAX_CHART_SIZE}"
            )));
        }
        files.push(BufferedFile {
            name: n,
            data: trim_bom(data),
        });
    }
    if files.is_empty() {
        return Err(err("no files in chart archive".into()));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean() {
        for (a, b) in [
            ("a/b/../c", "a/c"),
            ("../x", "../x"),
            ("a/../..", ".."),
            ("", "."),
            ("./a//b/", "a/b"),
            ("/../a", "/a"),
        ] {
            assert_eq!(clean_path(a), b, "{a}");
        }
    }
}
