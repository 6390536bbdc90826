// Reading a sign-in badge (app/badge.go): the camera's frames through the
// browser's BarcodeDetector where there is one, else the bundled jsQR
// decoder (Debian's Chromium has no BarcodeDetector).

/** badgePrefix starts every badge code; anything else a camera sees is ignored. */
export const badgePrefix = 'RCB1:'

/** isBadgeCode reports whether text read from a QR code or typed by a scanner is a badge code. */
export function isBadgeCode(text: string): boolean {
  return text.trim().toUpperCase().startsWith(badgePrefix)
}

type Detector = { detect(src: CanvasImageSource): Promise<{ rawValue: string }[]> }

/** makeReader returns a function that reads a QR code from a frame of the video, or ''. */
export async function makeReader(): Promise<(video: HTMLVideoElement, canvas: HTMLCanvasElement) => Promise<string>> {
  const BD = (window as unknown as { BarcodeDetector?: new (o: { formats: string[] }) => Detector }).BarcodeDetector
  if (BD) {
    const d = new BD({ formats: ['qr_code'] })
    return async (video) => {
      const found = await d.detect(video)
      return found[0]?.rawValue ?? ''
    }
  }
  const jsQR = (await import('jsqr')).default
  return async (video, canvas) => {
    const w = video.videoWidth
    const h = video.videoHeight
    if (!w || !h) return ''
    canvas.width = w
    canvas.height = h
    const ctx = canvas.getContext('2d', { willReadFrequently: true })
    if (!ctx) return ''
    ctx.drawImage(video, 0, 0, w, h)
    const img = ctx.getImageData(0, 0, w, h)
    return jsQR(img.data, w, h, { inversionAttempts: 'dontInvert' })?.data ?? ''
  }
}
