// The console's entry: i18n, Mantine, the router (at / and at /mgmt/, SRS Stack's old links).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { MantineProvider } from '@mantine/core';
import '@mantine/core/styles.css';
import './i18n/i18n';
import { App } from './app';

const basename = location.pathname === '/mgmt' || location.pathname.startsWith('/mgmt/') ? '/mgmt' : '/';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider defaultColorScheme="light">
      <BrowserRouter basename={basename}>
        <App />
      </BrowserRouter>
    </MantineProvider>
  </StrictMode>,
);
