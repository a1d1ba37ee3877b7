// A QR code of a URL, for mobile publishers such as Larix.
import { useEffect, useState } from 'react';
import QRCode from 'qrcode';

export function QrCode({ value, size = 160 }: { value: string; size?: number }) {
  const [src, setSrc] = useState('');
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(value, { width: size, margin: 1 }).then((d) => live && setSrc(d), () => live && setSrc(''));
    return () => { live = false; };
  }, [value, size]);
  return src ? <img src={src} width={size} height={size} alt={value} data-testid="qr" /> : null;
}
