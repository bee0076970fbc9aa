import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

export function QrCode({ value, label, size = 200 }: { value: string; label: string; size?: number }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(value, { width: size, margin: 1, errorCorrectionLevel: 'M' }).then(
      (url) => live && setSrc(url),
      () => live && setSrc(undefined),
    );
    return () => {
      live = false;
    };
  }, [value, size]);
  if (!src) return <div className="qr-placeholder" style={{ width: size, height: size }} aria-busy="true" />;
  return <img className="qr" src={src} width={size} height={size} alt={label} data-qr={value} />;
}
