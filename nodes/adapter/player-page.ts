/**
 * The player page of a vstar-stream path: plays `video.mp4` through Media Source Extensions,
 * with no script from anywhere else, so it works offline and inside a Dashboard iframe. Relative
 * URLs, so it works under any httpNodeRoot.
 */
export function playerPage(path: string): string {
  const title = escapeHtml(path);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — live</title>
<style>
  html, body { margin: 0; height: 100%; background: #000; color: #ccc; font: 14px sans-serif; }
  video { width: 100%; height: 100%; object-fit: contain; display: block; }
  #note { position: fixed; left: 8px; bottom: 8px; opacity: 0.8; }
</style>
</head>
<body>
<video id="video" muted autoplay playsinline></video>
<div id="note">connecting…</div>
<script>
(function () {
  var video = document.getElementById('video');
  var note = document.getElementById('note');
  function say(text) { note.textContent = text; }
  if (!window.MediaSource) { say('this browser has no Media Source Extensions: open video.mp4 in a player instead'); return; }
  // The codec string comes from the init segment's avcC box: profile, constraints, level.
  function codecOf(bytes) {
    for (var i = 4; i + 8 < bytes.length; i++) {
      if (bytes[i] === 0x61 && bytes[i + 1] === 0x76 && bytes[i + 2] === 0x63 && bytes[i + 3] === 0x43) {
        var hex = function (b) { return (b < 16 ? '0' : '') + b.toString(16); };
        return 'avc1.' + hex(bytes[i + 5]) + hex(bytes[i + 6]) + hex(bytes[i + 7]);
      }
    }
    return undefined;
  }
  fetch('video.mp4', { cache: 'no-store' }).then(function (response) {
    if (!response.ok || !response.body) throw new Error('video.mp4: HTTP ' + response.status);
    var reader = response.body.getReader();
    var source = new MediaSource();
    var buffer, queue = [], pending = new Uint8Array(0);
    video.src = URL.createObjectURL(source);
    function feed() {
      if (!buffer || buffer.updating || queue.length === 0) return;
      buffer.appendBuffer(queue.shift());
      // Live: stay near the newest frame, and drop what was watched long ago.
      if (video.buffered.length > 0) {
        var end = video.buffered.end(video.buffered.length - 1);
        if (end - video.currentTime > 3) video.currentTime = end - 0.5;
      }
    }
    function read() {
      reader.read().then(function (chunk) {
        if (chunk.done) { say('stream ended'); return; }
        if (!buffer) {
          var joined = new Uint8Array(pending.length + chunk.value.length);
          joined.set(pending); joined.set(chunk.value, pending.length);
          pending = joined;
          var codec = codecOf(pending);
          if (!codec) return read();
          var type = 'video/mp4; codecs="' + codec + '"';
          if (!MediaSource.isTypeSupported(type)) { say('this browser cannot play ' + type); return; }
          buffer = source.addSourceBuffer(type);
          buffer.mode = 'sequence';
          buffer.addEventListener('updateend', feed);
          queue.push(pending);
          say('');
        } else {
          queue.push(chunk.value);
        }
        feed();
        read();
      }, function (error) { say('stream error: ' + error.message); });
    }
    source.addEventListener('sourceopen', read, { once: true });
    video.play().catch(function () {});
  }).catch(function (error) { say(error.message); });
})();
</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
