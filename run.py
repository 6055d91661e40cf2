import os, subprocess, time, signal
env=dict(os.environ, NOTIFY_SOCKET='/tmp/kanotify/n.sock', WATCHDOG_USEC='2000000', WATCHDOG_PID='')
# enter the netns ourselves so keepalived's parent is this process
fd=os.open('/run/netns/kanotify1', os.O_RDONLY); os.setns(fd, 0)
p=subprocess.Popen(['/usr/sbin/keepalived','-n','-l','-P','-f','/tmp/kanotify/k.conf','-p','/tmp/kanotify/k.pid','-r','/tmp/kanotify/v.pid','-c','/tmp/kanotify/c.pid'], env=env, stdout=open('/tmp/kanotify/k.log','w'), stderr=subprocess.STDOUT)
time.sleep(7); p.send_signal(signal.SIGHUP); time.sleep(2); p.terminate(); p.wait()
