/**
 * What a scan sounds and feels like (issue 14 §4): a good scan, a warning (over the ordered quantity,
 * over-pick, not on this document) and an error (unknown code, refused) are told apart by ear and by hand.
 * Tones are made with WebAudio (no sound files to precache); vibration where the phone has it.
 */
const TONES = {
  // [frequency Hz, duration ms] steps; a rising chirp is good, two mid beeps a warning, a low buzz an error
  success: [[1320, 70]],
  warning: [[880, 110], [0, 60], [880, 110]],
  error: [[220, 350]],
};
const VIBRATE = { success: 40, warning: [90, 60, 90], error: [300, 80, 300] };
let ctx = null;

function audio() {
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return null;
  if (!ctx) ctx = new AC();
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  return ctx;
}

/** Play the tone of `kind`; also exposed as `window.__jxcFeedback` (last kind) for tests. */
export function beep(kind = 'success') {
  const steps = TONES[kind] || TONES.success;
  try {
    const ac = audio();
    if (!ac) return;
    let at = ac.currentTime;
    for (const [freq, ms] of steps) {
      if (freq) {
        const osc = ac.createOscillator();
        const gain = ac.createGain();
        osc.type = kind === 'error' ? 'square' : 'sine';
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.2, at);
        gain.gain.exponentialRampToValueAtTime(0.001, at + ms / 1000);
        osc.connect(gain).connect(ac.destination);
        osc.start(at);
        osc.stop(at + ms / 1000);
      }
      at += ms / 1000;
    }
  } catch { /* no audio output: vibration and the screen still tell */ }
}

/** Sound + vibration for one scan outcome: 'success' | 'warning' | 'error'. */
export function feedback(kind = 'success') {
  beep(kind);
  try { if (navigator.vibrate) navigator.vibrate(VIBRATE[kind] || VIBRATE.success); } catch { /* not allowed */ }
  window.__jxcFeedback = [...(window.__jxcFeedback || []), kind].slice(-20);
}
